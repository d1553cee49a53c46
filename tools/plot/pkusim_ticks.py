"""Tick positions and labels for pkusim figures.

Byte counts (columns named `..._bytes`) read 4 KiB ... 64 GiB, with log
ticks at powers of two; large counts read 10k, 2.5M; percent columns
(`..._pct`) get a % sign. Used by pkusim_plot.py.
"""

import math

from matplotlib import ticker

BYTE_UNITS = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"]
SI_UNITS = [(1e15, "P"), (1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")]


def is_bytes_column(column):
    """Columns whose names end in `bytes` (`region_bytes`) hold byte counts."""
    name = column.lower()
    return name == "bytes" or name.endswith(("_bytes", ".bytes", "-bytes"))


def is_percent_column(column):
    name = column.lower()
    return name.endswith(("_pct", "_percent", ".pct", ".percent", "%"))


def _trim(text):
    return text.rstrip("0").rstrip(".") if "." in text else text


def format_bytes(value):
    """4096 -> '4 KiB', 68719476736 -> '64 GiB', 1536 -> '1.5 KiB'."""
    if value == 0:
        return "0"
    magnitude = abs(value)
    unit = 0
    while unit + 1 < len(BYTE_UNITS) and magnitude >= 1024 ** (unit + 1):
        unit += 1
    return f"{_trim(f'{value / 1024 ** unit:.2f}')} {BYTE_UNITS[unit]}"


def format_si(value):
    """1000 -> '1k', 2500000 -> '2.5M', 0.0001 -> '0.0001'."""
    magnitude = abs(value)
    for scale, suffix in SI_UNITS:
        if magnitude >= scale:
            return _trim(f"{value / scale:.2f}") + suffix
    if magnitude == 0 or magnitude >= 1:
        return _trim(f"{value:.2f}")
    if magnitude >= 1e-6:  # three significant digits, no exponent
        return _trim(f"{value:.{2 - math.floor(math.log10(magnitude))}f}")
    return f"{value:.3g}"


class _NumberFormatter(ticker.Formatter):
    """Tick labels for a numeric axis: bytes in binary units, large counts
    with SI suffixes (one scale for all ticks of a linear axis), an
    optional '%' suffix."""

    def __init__(self, kind, log, suffix=""):
        self.kind, self.log, self.suffix = kind, log, suffix
        self.scalar = ticker.ScalarFormatter(useOffset=False)

    def set_axis(self, axis):
        super().set_axis(axis)
        self.scalar.set_axis(axis)

    def __call__(self, x, pos=None):
        return self.format_ticks([x])[0]

    def format_ticks(self, values):
        values = list(values)
        if self.kind == "bytes":
            labels = [format_bytes(v) for v in values]
        elif self.log:
            labels = [format_si(v) for v in values]
        else:
            top = max((abs(v) for v in values), default=0)
            if top >= 1e4:
                scale, suffix = next((s, u) for s, u in SI_UNITS if top >= s)
                labels = [_trim(f"{v / scale:.2f}") + (suffix if v else "") for v in values]
            else:
                labels = self.scalar.format_ticks(values)
        return [label + self.suffix if label else label for label in labels]


class _Pow2Locator(ticker.Locator):
    """Major ticks at powers of two, every `step`th one so at most
    `max_ticks` show; with step > 1 the exponents are multiples of step."""

    STEPS = (1, 2, 4, 6, 8, 10, 20)

    def __init__(self, max_ticks, minor=False):
        self.max_ticks, self.minor = max_ticks, minor

    def __call__(self):
        vmin, vmax = self.axis.get_view_interval()
        return self.tick_values(vmin, vmax)

    def tick_values(self, vmin, vmax):
        vmin, vmax = sorted((vmin, vmax))
        if vmax <= 0:
            return []
        vmin = max(vmin, vmax / 2 ** 60, 2.0 ** -30)
        lo, hi = math.ceil(math.log2(vmin) - 1e-9), math.floor(math.log2(vmax) + 1e-9)
        exponents = list(range(lo, hi + 1))
        if not self.minor:
            step = next((s for s in self.STEPS
                         if len([e for e in exponents if e % s == 0]) <= self.max_ticks), 20)
            exponents = [e for e in exponents if e % step == 0]
        return [2.0 ** e for e in exponents]


class _LogLocator(ticker.Locator):
    """Decade ticks, falling back to 1-2-5 and then to linear ticks when
    the view spans too little for two of them."""

    def __init__(self, max_ticks):
        self.choices = [ticker.LogLocator(base=10, numticks=max_ticks + 1),
                        ticker.LogLocator(base=10, subs=(1.0, 2.0, 5.0),
                                          numticks=max_ticks + 1),
                        ticker.MaxNLocator(nbins=max_ticks)]

    def set_axis(self, axis):
        super().set_axis(axis)
        for locator in self.choices:
            locator.set_axis(axis)

    def __call__(self):
        vmin, vmax = self.axis.get_view_interval()
        return self.tick_values(vmin, vmax)

    def tick_values(self, vmin, vmax):
        vmin, vmax = sorted((vmin, vmax))
        ticks = []
        for locator in self.choices:
            ticks = [t for t in locator.tick_values(vmin, vmax) if t > 0]
            if len([t for t in ticks if vmin <= t <= vmax]) >= 2:
                return ticks
        return ticks


class _BytesLinearLocator(ticker.Locator):
    """Linear ticks at round steps of the largest binary unit that fits:
    powers of two (0.25, 0.5, 1, 2, 4 ... GiB) or 10, 20, 50, 100 ... of it,
    the finest that gives at most `max_ticks` ticks."""

    STEPS = sorted({2.0 ** k for k in range(-4, 11)} |
                   {m * 10.0 ** e for m in (1, 2, 5) for e in range(1, 4)})

    def __init__(self, max_ticks):
        self.max_ticks = max_ticks

    def __call__(self):
        vmin, vmax = self.axis.get_view_interval()
        return self.tick_values(vmin, vmax)

    def tick_values(self, vmin, vmax):
        vmin, vmax = sorted((vmin, vmax))
        top = max(abs(vmin), abs(vmax))
        unit = 1
        while unit * 1024 <= top:
            unit *= 1024
        lo, hi = vmin / unit, vmax / unit
        for step in self.STEPS:
            if unit == 1 and step < 1:  # no fractions of a byte
                continue
            first, last = math.ceil(lo / step - 1e-9), math.floor(hi / step + 1e-9)
            if last - first + 1 <= self.max_ticks:
                return [k * step * unit for k in range(first, last + 1)]
        return [vmin, vmax]


def setup_numeric_axis(axis, column, log, max_ticks, percent=False, integer=False):
    """Scale, tick locators and tick labels of a numeric axis (x or y).

    The column name chooses bytes or percent labels; `max_ticks` bounds the
    labelled ticks; `integer` keeps linear ticks on whole numbers."""
    bytes_axis = is_bytes_column(column)
    suffix = "%" if percent or is_percent_column(column) else ""
    kind = "bytes" if bytes_axis else "count"
    if log:
        _set_log_scale(axis, base=2 if bytes_axis else 10)
        if bytes_axis:
            axis.set_major_locator(_Pow2Locator(max_ticks))
            axis.set_minor_locator(_Pow2Locator(max_ticks, minor=True))
        else:
            axis.set_major_locator(_LogLocator(max_ticks))
            axis.set_minor_locator(ticker.LogLocator(base=10, subs=range(2, 10),
                                                     numticks=12))
        axis.set_minor_formatter(ticker.NullFormatter())
    elif bytes_axis:
        axis.set_major_locator(_BytesLinearLocator(max_ticks))
    else:
        axis.set_major_locator(ticker.MaxNLocator(nbins=max_ticks, steps=[1, 2, 2.5, 5, 10],
                                                  integer=integer))
    axis.set_major_formatter(_NumberFormatter(kind, log, suffix))


def _set_log_scale(axis, base):
    if axis.axis_name == "x":
        axis.axes.set_xscale("log", base=base)
    else:
        axis.axes.set_yscale("log", base=base)
