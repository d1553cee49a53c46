#!/usr/bin/python3
"""Line, bar and stacked-bar figures from a pkusim CSV, as PNG and SVG.

A module (the other tools import it) and a command line:

    pkusim_plot.py CSV --x COL --y COL[,COL...] [--group COL] [--facet COL]
                   [--kind line|bar|stacked] [--logx] [--logy] [--normalize]
                   [--agg mean|median|min|max] [--filter COL=VALUE]... [--independent-y]
                   [--title T] [--xlabel L] [--ylabel L] -o PREFIX

The CSV has a header row and one row per run: axes (numbers or strings) and
metrics (numbers). Rows that share a point (same facet, group, y column and
x) are combined with --agg (the mean by default) and a note on stderr says
how many. Output is deterministic: the same CSV and options give
byte-identical PREFIX.png and PREFIX.svg, each written atomically.

Only the standard library and matplotlib (Agg backend). Exit codes: 0 ok,
2 bad input or output (one line on stderr), 3 matplotlib is missing for
this interpreter, 70 internal error.
"""

import argparse
import csv
import math
import os
import statistics
import sys
import tempfile
import traceback

try:
    import matplotlib
except ImportError:  # the wrong interpreter: say so in one line
    if __name__ == "__main__":
        print(f"pkusim_plot: matplotlib is not installed for {sys.executable} "
              "(Debian: apt install python3-matplotlib, then run /usr/bin/python3 "
              "or set PKUSIM_PYTHON)", file=sys.stderr)
        sys.exit(3)
    raise

matplotlib.use("Agg")

from matplotlib import rc_context  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.font_manager import FontProperties  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402
from matplotlib.textpath import text_to_path  # noqa: E402

from pkusim_ticks import format_bytes, is_bytes_column, setup_numeric_axis  # noqa: E402

PROG = "pkusim_plot"

#: Okabe & Ito's colour-blind-safe palette, for series (lines and bars).
SERIES_COLOURS = ["#0072B2", "#D55E00", "#009E73", "#CC79A7",
                  "#E69F00", "#56B4E9", "#000000", "#F0E442"]
#: Paul Tol's "muted" colour-blind-safe palette, for stack components.
STACK_COLOURS = ["#332288", "#88CCEE", "#44AA99", "#117733", "#999933",
                 "#DDCC77", "#CC6677", "#882255", "#AA4499", "#DDDDDD"]
MARKERS = ["o", "s", "^", "D", "v", "P", "X", "*"]
LINESTYLES = ["-", "--", ":", "-."]
HATCHES = ["", "//", "..", "xx"]

AGGREGATES = {"mean": statistics.fmean, "median": statistics.median,
              "min": min, "max": max}

#: The figure style. Applied with rc_context, so importing this module
#: changes no global matplotlib settings.
STYLE = {
    "font.family": "DejaVu Sans",
    "font.size": 10,
    "axes.titlesize": 10,
    "axes.labelsize": 10,
    "xtick.labelsize": 9,
    "ytick.labelsize": 9,
    "legend.fontsize": 9,
    "legend.title_fontsize": 9,
    "figure.titlesize": 11,
    "axes.grid": True,
    "axes.axisbelow": True,
    "grid.color": "#dddddd",
    "grid.linewidth": 0.6,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.edgecolor": "#444444",
    "xtick.color": "#444444",
    "ytick.color": "#444444",
    "xtick.labelcolor": "black",
    "ytick.labelcolor": "black",
    "lines.linewidth": 1.6,
    "lines.markersize": 5,
    "legend.frameon": True,
    "legend.framealpha": 0.9,
    "legend.edgecolor": "#cccccc",
    "savefig.dpi": 150,
    "savefig.bbox": "tight",
    "savefig.pad_inches": 0.05,
    "savefig.facecolor": "white",
    "svg.fonttype": "path",
    "svg.hashsalt": "pkusim-plot",
}

FIG_SIZE = (6.4, 4.0)


class PlotError(Exception):
    """A problem with the input or the output; the message is one line."""


# --------------------------------------------------------------------- CSV

class Table(list):
    """The rows of a CSV: a list of dicts (column name -> string).

    `columns` is the header in order, `path` the file name and `lines[i]`
    the line of the file that row i came from (for error messages)."""

    def __init__(self, rows, columns, path, lines):
        super().__init__(rows)
        self.columns = list(columns)
        self.path = path
        self.lines = list(lines)


def read_csv(path):
    """Read a CSV with a header row; returns a Table (a list of dicts)."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            reader = csv.reader(f)
            header = None
            rows, lines = [], []
            for record in reader:
                if not any(field.strip() for field in record):
                    continue
                fields = [field.strip() for field in record]
                if header is None:
                    header = _check_header(path, reader.line_num, fields)
                    continue
                if len(fields) != len(header):
                    raise PlotError(f"{path}:{reader.line_num}: {len(fields)} fields, "
                                    f"the header has {len(header)}")
                rows.append(dict(zip(header, fields)))
                lines.append(reader.line_num)
    except OSError as e:
        raise PlotError(f"cannot read {path}: {e.strerror}") from None
    except UnicodeDecodeError:
        raise PlotError(f"{path}: not a UTF-8 text file") from None
    except csv.Error as e:
        raise PlotError(f"{path}: malformed CSV: {e}") from None
    if header is None:
        raise PlotError(f"{path}: empty CSV (no header row)")
    if not rows:
        raise PlotError(f"{path}: no data rows after the header")
    return Table(rows, header, path, lines)


def _check_header(path, line, fields):
    seen = set()
    for i, name in enumerate(fields, 1):
        if not name:
            raise PlotError(f"{path}:{line}: header field {i} is empty")
        if name in seen:
            raise PlotError(f"{path}:{line}: column '{name}' appears twice in the header")
        seen.add(name)
    return fields


def _as_table(rows):
    """A Table as is; any other list of dicts with its values as strings."""
    if isinstance(rows, Table):
        return rows
    rows = [{k: "" if v is None else str(v).strip() for k, v in row.items()} for row in rows]
    columns = list(rows[0].keys()) if rows else []
    return Table(rows, columns, "<rows>", range(1, len(rows) + 1))


def require_column(rows, column, option):
    """Raise PlotError naming the available columns if `column` is unknown."""
    table = _as_table(rows)
    if column not in table.columns:
        raise PlotError(f"unknown column '{column}' for {option}; available: "
                        + ", ".join(table.columns))


def filter_rows(rows, filters):
    """Keep the rows matching every filter.

    `filters` is a list of "COL=VALUE" strings. Filters on the same column
    are alternatives (any may match); filters on different columns must all
    match. Numbers compare by value ("4096" matches "4096.0")."""
    table = _as_table(rows)
    wanted = {}
    for spec in filters or []:
        column, sep, value = spec.partition("=")
        column, value = column.strip(), value.strip()
        if not sep or not column:
            raise PlotError(f"--filter '{spec}': expected COL=VALUE")
        require_column(table, column, "--filter")
        wanted.setdefault(column, []).append(value)
    if not wanted:
        return table
    kept = [(row, line) for row, line in zip(table, table.lines)
            if all(any(_same_value(row[c], v) for v in vs) for c, vs in wanted.items())]
    if not kept:
        shown = "; ".join(f"{c} has {', '.join(_distinct(table, c)[:12])}" for c in wanted)
        raise PlotError(f"no rows left after --filter {' '.join(filters)} ({shown})")
    return Table([r for r, _ in kept], table.columns, table.path, [n for _, n in kept])


def _same_value(cell, value):
    if cell == value:
        return True
    a, b = _number(cell), _number(value)
    return a is not None and a == b


def _distinct(table, column):
    out = []
    for row in table:
        if row[column] not in out:
            out.append(row[column])
    return out


def _number(text):
    """The finite float `text` spells, or None."""
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _metric(table, index, column):
    value = _number(table[index][column])
    if value is None:
        cell = table[index][column]
        what = "empty" if cell == "" else f"'{cell}', not a finite number"
        raise PlotError(f"{table.path}:{table.lines[index]}: column '{column}' is {what}")
    return value


class _Axis:
    """The distinct values of one column, in plotting order.

    Numeric columns (every non-empty cell a number) sort by value; other
    columns keep the order of first appearance. key(row) maps a row to its
    value's key; labels[key] is the text shown for it."""

    def __init__(self, table, column):
        self.column = column
        cells = [row[column] for row in table]
        self.numeric = all(_number(c) is not None for c in cells if c != "")
        self.keys, self.labels = [], {}
        for cell in cells:
            key = self._key(cell)
            if key not in self.labels:
                self.keys.append(key)
                self.labels[key] = cell if cell != "" else "(empty)"
        if self.numeric:
            self.keys.sort(key=lambda k: (k is None, k or 0.0))
        if self.numeric and is_bytes_column(column):
            for key in self.keys:
                if key is not None:
                    self.labels[key] = format_bytes(key)

    def _key(self, cell):
        if not self.numeric:
            return cell
        return None if cell == "" else _number(cell)

    def key(self, row):
        return self._key(row[self.column])


# ---------------------------------------------------------------- plotting

def _layout(count):
    """(rows, columns, figure size) for `count` subplots."""
    if count <= 1:
        return 1, 1, FIG_SIZE
    cols = 2 if count in (2, 4) else 3
    rows = math.ceil(count / cols)
    width = FIG_SIZE[0] if cols == 2 else 3.0 * cols
    height = FIG_SIZE[1] if rows == 1 else 2.7 * rows + 0.6
    return rows, cols, (width, height)


def _max_ticks(cols):
    """Labelled x ticks that fit side by side in one of `cols` columns."""
    return {1: 8, 2: 5}.get(cols, 4)


def _max_y_ticks(count, log):
    """Labelled y ticks: labels stack vertically, so more fit (decades)."""
    if log:
        return 10 if count == 1 else 8
    return 7 if count == 1 else 6


def _figure(facets, title, independent_y=False):
    rows, cols, size = _layout(len(facets))
    fig = Figure(figsize=size, dpi=150, layout="constrained")
    fig.get_layout_engine().set(wspace=0.06)  # room between facets' end labels
    grid = fig.subplots(rows, cols, sharex=True, sharey=not independent_y, squeeze=False)
    axes = [ax for row in grid for ax in row]
    for ax in axes[len(facets):]:
        fig.delaxes(ax)
    axes = axes[:len(facets)]
    for i, ax in enumerate(axes):
        if i + cols >= len(facets):  # nothing below it: show its x tick labels
            ax.xaxis.set_tick_params(labelbottom=True)
        ax.set_gid(f"facet-{i}")
    if title:
        if len(facets) > 1:
            fig.suptitle(title)
        else:
            axes[0].set_title(title)
    return fig, axes, cols


def _labels(fig, axes, xlabel, ylabel):
    if len(axes) == 1:
        axes[0].set_xlabel(xlabel or "")
        axes[0].set_ylabel(ylabel or "")
    else:
        if xlabel:
            fig.supxlabel(xlabel, fontsize=STYLE["axes.labelsize"])
        if ylabel:
            fig.supylabel(ylabel, fontsize=STYLE["axes.labelsize"])


def _legend(fig, axes, handles, labels, title, outside=False):
    """One legend: below the facets, or in (or right of) the single axes."""
    if not handles or (len(handles) == 1 and not title):
        return
    if len(axes) > 1:
        fig.legend(handles, labels, title=title, loc="upper center",
                   bbox_to_anchor=(0.5, 0.0), ncols=min(len(handles), 4))
    elif outside or len(handles) > 6:
        axes[0].legend(handles, labels, title=title, loc="upper left",
                       bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0)
    else:
        axes[0].legend(handles, labels, title=title, loc="best")


def _categorical_ticks(fig, axes, labels, cols):
    """Category names under the ticks, slanted when they would collide."""
    positions = list(range(len(labels)))
    axes_width_in = fig.get_figwidth() / cols - 0.8  # less the y labels' room
    room_in = axes_width_in / max(len(labels), 1)
    font = FontProperties(family=STYLE["font.family"], size=STYLE["xtick.labelsize"])
    needed_in = max((text_to_path.get_text_width_height_descent(s, font, ismath=False)[0]
                     for s in labels), default=0) / 72
    slant = needed_in > 0.8 * room_in
    for ax in axes:
        ax.set_xticks(positions)
        ax.set_xticklabels(labels, rotation=30 if slant else 0,
                           ha="right" if slant else "center",
                           rotation_mode="anchor" if slant else "default")
        ax.grid(False, axis="x")


def _common_label(columns):
    if len(columns) == 1:
        return columns[0]
    tails = {c.replace(".", "_").rsplit("_", 1)[-1] for c in columns}
    if len(tails) == 1 and all("_" in c or "." in c for c in columns):
        return tails.pop()
    joined = ", ".join(columns)
    return joined if len(joined) <= 40 else ""


def _default_note(message):
    print(f"{PROG}: note: {message}", file=sys.stderr)


def _aggregate(points, agg, on_note, what):
    """points: {(…, x): [values]} -> {(…, x): value}; notes the merges."""
    if agg not in AGGREGATES:
        raise PlotError(f"unknown --agg '{agg}'; valid: {', '.join(AGGREGATES)}")
    merged = [len(v) for v in points.values() if len(v) > 1]
    if merged:
        (on_note or _default_note)(
            f"{len(merged)} {what} combine several rows ({sum(merged)} rows, up to "
            f"{max(merged)} each) with --agg {agg}; use --group, --facet or --filter "
            f"to tell them apart")
    return {k: AGGREGATES[agg](v) for k, v in points.items()}


def _ys(y):
    ys = [y] if isinstance(y, str) else list(y)
    if not ys:
        raise PlotError("no y column given")
    return ys


def line_plot(rows, x, y, group=None, facet=None, *, logx=False, logy=False,
              title=None, xlabel=None, ylabel=None, agg="mean", out_prefix=None,
              on_note=None, independent_y=False):
    """Lines with markers: one per `group` value (and per y column if `y`
    lists several), one subplot per `facet` value. Returns the Figure and,
    with `out_prefix`, writes PREFIX.png and PREFIX.svg."""
    return _series_plot("line", rows, x, y, group, facet, logx, logy, title,
                        xlabel, ylabel, agg, out_prefix, on_note, independent_y)


def bar_plot(rows, x, y, group=None, facet=None, *, logy=False, title=None,
             xlabel=None, ylabel=None, agg="mean", out_prefix=None, on_note=None,
             independent_y=False):
    """Grouped bars: x is categorical (numbers keep their numeric order),
    one bar per group value (and y column) at each x."""
    return _series_plot("bar", rows, x, y, group, facet, False, logy, title,
                        xlabel, ylabel, agg, out_prefix, on_note, independent_y)


def _series_plot(kind, rows, x, y, group, facet, logx, logy, title, xlabel,
                 ylabel, agg, out_prefix, on_note, independent_y=False):
    table = _as_table(rows)
    ys = _ys(y)
    require_column(table, x, "--x")
    for column in ys:
        require_column(table, column, "--y")
    if group:
        require_column(table, group, "--group")
    if facet:
        require_column(table, facet, "--facet")
    if not table:
        raise PlotError("no rows to plot")

    xs = _Axis(table, x)
    for i, row in enumerate(table):
        if row[x] == "":
            raise PlotError(f"{table.path}:{table.lines[i]}: column '{x}' (--x) is empty")
    categorical = kind == "bar" or not xs.numeric
    if logx and categorical:
        raise PlotError(f"--logx needs numeric x values; '{x}' is categorical here")
    groups = _Axis(table, group) if group else None
    facets = _Axis(table, facet) if facet else None
    facet_keys = facets.keys if facets else [None]

    series = [(column, g) for column in ys for g in (groups.keys if groups else [None])]
    points = {}
    for i, row in enumerate(table):
        fk = facets.key(row) if facets else None
        gk = groups.key(row) if groups else None
        for column in ys:
            value = _metric(table, i, column)
            if logy and value <= 0:
                raise PlotError(f"{table.path}:{table.lines[i]}: column '{column}' is "
                                f"{table[i][column]}; --logy needs values > 0")
            if logx and xs.key(row) <= 0:
                raise PlotError(f"{table.path}:{table.lines[i]}: column '{x}' is "
                                f"{row[x]}; --logx needs values > 0")
            points.setdefault((fk, column, gk, xs.key(row)), []).append(value)
    values = _aggregate(points, agg, on_note, "points")

    def label(column, gk):
        parts = [column] if len(ys) > 1 else []
        if groups:
            parts.append(groups.labels[gk])
        return ", ".join(parts)

    with rc_context(STYLE):
        fig, axes, cols = _figure(facet_keys, title, independent_y)
        position = {k: i for i, k in enumerate(xs.keys)}
        width = 0.8 / len(series)
        for fi, (fk, ax) in enumerate(zip(facet_keys, axes)):
            for si, (column, gk) in enumerate(series):
                pts = sorted(((position[xk] if categorical else xk, v)
                              for (f, c, g, xk), v in values.items()
                              if f == fk and c == column and g == gk))
                if not pts:
                    continue
                if kind == "bar":
                    artist = ax.bar([p - 0.4 + width * (si + 0.5) for p, _ in pts],
                                    [v for _, v in pts], width=width * 0.92,
                                    **_bar_style(si, SERIES_COLOURS))
                else:
                    (artist,) = ax.plot([p for p, _ in pts], [v for _, v in pts],
                                        **_line_style(si))
                _set_gid(artist, f"facet-{fi}-series-{si}")
            if facets:
                ax.set_title(f"{facet} = {facets.labels[fk]}")
        if categorical:
            _categorical_ticks(fig, axes, [xs.labels[k] for k in xs.keys], cols)
            for ax in axes:
                ax.set_xlim(-0.5 if kind == "bar" else -0.3,
                            len(xs.keys) - (0.5 if kind == "bar" else 0.7))
        else:
            setup_numeric_axis(axes[0].xaxis, x, logx, _max_ticks(cols),
                                integer=all(float(k).is_integer() for k in xs.keys))
        for ax in axes if independent_y else axes[:1]:
            setup_numeric_axis(ax.yaxis, ys[0], logy, _max_y_ticks(len(axes), logy))
        if kind == "bar" and not logy:
            for ax in axes:
                ax.set_ylim(bottom=0)
        elif kind == "bar":
            # A bar on a log axis has no zero to stand on: it stands on 1 (a
            # slowdown of 1x, a cost of one cycle), or on a power of ten
            # below the smallest value if that is 1 or less, so that bar
            # heights compare; autoscaling would put the floor just under
            # the smallest bar and make it look like nothing.
            smallest = min(v for v in values.values())
            floor = min(1.0, 10.0 ** (math.ceil(math.log10(smallest)) - 1))
            for ax in axes:
                ax.set_ylim(bottom=floor)
        xl = x if xlabel is None else xlabel
        yl = _common_label(ys) if ylabel is None else ylabel
        _labels(fig, axes, xl, yl)
        handles = [Patch(**_bar_style(si, SERIES_COLOURS)) if kind == "bar"
                   else Line2D([], [], **_line_style(si)) for si in range(len(series))]
        _legend(fig, axes, handles, [label(c, g) for c, g in series], group or None,
                outside=kind == "bar")
    if out_prefix:
        save(fig, out_prefix)
    return fig


def _set_gid(artist, gid):
    """Name a series in the SVG: a line's group, or each bar as gid-bar-N."""
    if hasattr(artist, "patches"):
        for n, patch in enumerate(artist.patches):
            patch.set_gid(f"{gid}-bar-{n}")
    else:
        artist.set_gid(gid)


def _line_style(index):
    colour = SERIES_COLOURS[index % len(SERIES_COLOURS)]
    return {"color": colour, "marker": MARKERS[index % len(MARKERS)],
            "linestyle": LINESTYLES[(index // len(SERIES_COLOURS)) % len(LINESTYLES)],
            "markeredgecolor": "#333333" if colour == "#F0E442" else colour,
            "markeredgewidth": 0.8, "clip_on": False}


def _bar_style(index, colours):
    """Colours in turn; past the palette, the same colours hatched."""
    lap = index // len(colours)
    return {"facecolor": colours[index % len(colours)],
            "hatch": HATCHES[lap % len(HATCHES)],
            "edgecolor": "white" if lap == 0 else "#333333", "linewidth": 0.6}


def stacked_bar(rows, category, components, facet=None, *, normalize=False,
                title=None, xlabel=None, ylabel=None, agg="mean", out_prefix=None,
                on_note=None, independent_y=False):
    """One bar per `category` value, stacking the `components` columns in
    order from the bottom (e.g. a cycle breakdown per variant); one subplot
    per `facet` value. `normalize` shows each bar as % of its total."""
    table = _as_table(rows)
    components = _ys(components)
    require_column(table, category, "--x")
    for column in components:
        require_column(table, column, "--y")
    if facet:
        require_column(table, facet, "--facet")
    if not table:
        raise PlotError("no rows to plot")
    for i, row in enumerate(table):
        if row[category] == "":
            raise PlotError(f"{table.path}:{table.lines[i]}: column '{category}' (--x) is empty")
    cats = _Axis(table, category)
    facets = _Axis(table, facet) if facet else None
    facet_keys = facets.keys if facets else [None]

    points = {}
    for i, row in enumerate(table):
        fk = facets.key(row) if facets else None
        for column in components:
            value = _metric(table, i, column)
            if value < 0:
                raise PlotError(f"{table.path}:{table.lines[i]}: column '{column}' is "
                                f"{row[column]}; stacked bars need values >= 0")
            points.setdefault((fk, cats.key(row), column), []).append(value)
    values = _aggregate(points, agg, on_note, "bar segments")

    with rc_context(STYLE):
        fig, axes, cols = _figure(facet_keys, title, independent_y)
        for fi, (fk, ax) in enumerate(zip(facet_keys, axes)):
            present = [(p, ck) for p, ck in enumerate(cats.keys)
                       if (fk, ck, components[0]) in values]
            totals = {ck: sum(values[(fk, ck, c)] for c in components) for _, ck in present}
            bottom = [0.0] * len(present)
            for si, column in enumerate(components):
                heights = [values[(fk, ck, column)] for _, ck in present]
                if normalize:
                    heights = [100.0 * h / totals[ck] if totals[ck] else 0.0
                               for h, (_, ck) in zip(heights, present)]
                artist = ax.bar([p for p, _ in present], heights, bottom=bottom, width=0.7,
                                **_bar_style(si, STACK_COLOURS))
                _set_gid(artist, f"facet-{fi}-series-{si}")
                bottom = [b + h for b, h in zip(bottom, heights)]
            if facets:
                ax.set_title(f"{facet} = {facets.labels[fk]}")
        _categorical_ticks(fig, axes, [cats.labels[k] for k in cats.keys], cols)
        for ax in axes:
            ax.set_xlim(-0.6, len(cats.keys) - 0.4)
            ax.set_ylim(bottom=0, top=100 if normalize else None)
        for ax in axes if independent_y else axes[:1]:
            setup_numeric_axis(ax.yaxis, components[0], False,
                               _max_y_ticks(len(axes), False), percent=normalize)
        if ylabel is None:
            ylabel = "% of total" if normalize else _common_label(components)
        _labels(fig, axes, category if xlabel is None else xlabel, ylabel)
        # Top component first, as the segments appear in the bars.
        handles = [Patch(**_bar_style(si, STACK_COLOURS)) for si in range(len(components))]
        _legend(fig, axes, handles[::-1], components[::-1], None, outside=True)
    if out_prefix:
        save(fig, out_prefix)
    return fig


# ------------------------------------------------------------------ output

def output_paths(out_prefix):
    """PREFIX -> (PREFIX.png, PREFIX.svg); a trailing .png/.svg is dropped."""
    root, ext = os.path.splitext(out_prefix)
    if ext.lower() in (".png", ".svg"):
        out_prefix = root
    return out_prefix + ".png", out_prefix + ".svg"


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


def save(fig, out_prefix):
    """Write PREFIX.png and PREFIX.svg atomically and deterministically
    (no dates or software versions; fixed SVG ids). Returns both paths."""
    png, svg = output_paths(out_prefix)
    targets = [(png, "png", {"Software": None}),
               (svg, "svg", {"Date": None, "Creator": None})]
    temps = []
    current = png
    try:
        with rc_context(STYLE):
            for current, fmt, metadata in targets:
                fd, temp = tempfile.mkstemp(dir=os.path.dirname(current) or ".",
                                            prefix=f".{os.path.basename(current)}.",
                                            suffix=".tmp")
                temps.append(temp)
                with os.fdopen(fd, "wb") as f:
                    fig.savefig(f, format=fmt, metadata=metadata)
                os.chmod(temp, 0o666 & ~_umask())
        for (current, _, _), temp in zip(targets, temps):
            os.replace(temp, current)
    except OSError as e:
        for temp in temps:
            if os.path.exists(temp):
                os.unlink(temp)
        raise PlotError(f"cannot write {current}: {e.strerror or e}") from None
    return png, svg


# --------------------------------------------------------------------- CLI

class _Parser(argparse.ArgumentParser):
    def error(self, message):
        print(f"{PROG}: {message} (see --help)", file=sys.stderr)
        sys.exit(2)


def _parser():
    p = _Parser(prog="pkusim_plot.py", description=__doc__.split("\n\n")[0],
                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("csv", metavar="CSV", help="input CSV: a header row, one row per run")
    p.add_argument("--x", required=True, metavar="COL",
                   help="x column (the category of each bar for --kind stacked)")
    p.add_argument("--y", required=True, action="append", metavar="COL[,COL...]",
                   help="y column(s); comma-separated or repeated; "
                        "the stacked components for --kind stacked")
    p.add_argument("--group", metavar="COL", help="one line (or bar) per value of COL")
    p.add_argument("--facet", metavar="COL", help="one subplot per value of COL")
    p.add_argument("--kind", choices=["line", "bar", "stacked"], default="line")
    p.add_argument("--logx", action="store_true", help="logarithmic x axis")
    p.add_argument("--logy", action="store_true", help="logarithmic y axis")
    p.add_argument("--independent-y", action="store_true",
                   help="each facet its own y scale (default: one scale for all)")
    p.add_argument("--normalize", action="store_true",
                   help="stacked: each bar as percent of its total")
    p.add_argument("--agg", choices=list(AGGREGATES), default="mean",
                   help="how rows that share a point combine (default mean)")
    p.add_argument("--filter", action="append", default=[], metavar="COL=VALUE",
                   help="keep rows where COL equals VALUE (repeatable: the same "
                        "column ORs, different columns AND)")
    p.add_argument("--title")
    p.add_argument("--xlabel", help="x axis label (default: the column name)")
    p.add_argument("--ylabel", help="y axis label (default: the column name)")
    p.add_argument("-o", "--output", required=True, metavar="PREFIX",
                   help="write PREFIX.png and PREFIX.svg")
    return p


def run(argv):
    args = _parser().parse_args(argv)
    ys = [c.strip() for spec in args.y for c in spec.split(",") if c.strip()]
    if not ys:
        raise PlotError("--y names no column")
    table = read_csv(args.csv)
    for option, column in (("--x", args.x), ("--group", args.group), ("--facet", args.facet)):
        if column:
            require_column(table, column, option)
    for column in ys:
        require_column(table, column, "--y")
    table = filter_rows(table, args.filter)
    common = {"title": args.title, "xlabel": args.xlabel, "ylabel": args.ylabel,
              "agg": args.agg, "out_prefix": args.output,
              "independent_y": args.independent_y}
    if args.kind == "stacked":
        if args.group:
            raise PlotError("--group does not apply to --kind stacked (the --y columns "
                            "are the stacked components); use --facet or --filter")
        if args.logx or args.logy:
            raise PlotError("--logx/--logy do not apply to --kind stacked")
        stacked_bar(table, args.x, ys, args.facet, normalize=args.normalize, **common)
    else:
        if args.normalize:
            raise PlotError("--normalize applies to --kind stacked only")
        if args.kind == "bar":
            if args.logx:
                raise PlotError("--logx does not apply to --kind bar (x is categorical)")
            bar_plot(table, args.x, ys, args.group, args.facet, logy=args.logy, **common)
        else:
            line_plot(table, args.x, ys, args.group, args.facet, logx=args.logx,
                      logy=args.logy, **common)
    return 0


def main(argv=None):
    try:
        return run(sys.argv[1:] if argv is None else argv)
    except PlotError as e:
        print(f"{PROG}: {e}", file=sys.stderr)
        return 2
    except Exception:  # a bug here, not bad input
        traceback.print_exc()
        print(f"{PROG}: internal error", file=sys.stderr)
        return 70


if __name__ == "__main__":
    sys.exit(main())
