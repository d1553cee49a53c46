#!/usr/bin/python3
"""The figure of a calibration: what the host measured beside what the
calibrated model and the uncalibrated preset predict.

    calibration_figure.py TABLE.csv PREFIX [--title T]

TABLE.csv is what `pkusim calibrate --csv` writes (group, point, params,
fitted, doubt, host_ns, calibrated_ns, error, preset_ns). Writes PREFIX.png
and PREFIX.svg (atomically): left, the cost of one mprotect(R) against the
pages it changes, alone and with an active peer (4 KiB pages); right, the
other measured points as a ratio to the host (1 = exact).

Exit codes: 0 ok, 2 bad input or output (one line on stderr), 3 matplotlib
is missing for this interpreter, 70 internal error.
"""

import argparse
import csv
import os
import sys
import traceback

PROG = "calibration_figure"

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

try:
    import pkusim_plot
    from matplotlib import rc_context
    import matplotlib.pyplot as plt
except ImportError:
    print(f"{PROG}: matplotlib is not installed for {sys.executable} (Debian: apt install "
          "python3-matplotlib)", file=sys.stderr)
    sys.exit(3)

COLUMNS = ["group", "point", "params", "fitted", "doubt", "host_ns", "calibrated_ns", "error",
           "preset_ns"]


class BadInput(Exception):
    pass


def read(path):
    try:
        with open(path, newline="") as f:
            rows = list(csv.DictReader(f))
    except OSError as e:
        raise BadInput(f"{path}: {e.strerror}")
    if not rows:
        raise BadInput(f"{path}: no rows")
    missing = [c for c in COLUMNS if c not in rows[0]]
    if missing:
        raise BadInput(f"{path}: not a pkusim calibrate table (missing column {missing[0]})")
    for i, r in enumerate(rows, start=2):
        for c in ("host_ns", "calibrated_ns", "preset_ns"):
            try:
                r[c] = float(r[c])
            except ValueError:
                raise BadInput(f"{path}:{i}: column {c}: expected a number, got '{r[c]}'")
        r["params"] = dict(kv.split("=", 1) for kv in r["params"].split() if "=" in kv)
    return rows


def draw(rows, prefix, title):
    with rc_context(pkusim_plot.STYLE):
        draw_figure(rows, prefix, title)


def draw_figure(rows, prefix, title):
    fig, (left, right) = plt.subplots(1, 2, figsize=(13, 5.2),
                                      gridspec_kw={"width_ratios": [1.15, 1]})
    colors = {"alone": "tab:blue", "active": "tab:red", "blocked": "tab:green"}
    for peer in ("alone", "active"):
        pts = [r for r in rows if r["group"] == "mprotect" and r["params"].get("peer") == peer
               and r["params"].get("direction") == "r" and not r["doubt"]]
        pts.sort(key=lambda r: int(r["params"]["pages"]))
        if not pts:
            continue
        x = [int(r["params"]["pages"]) for r in pts]
        c = colors[peer]
        name = "no other thread" if peer == "alone" else "a thread active on the other CPU"
        left.plot(x, [r["host_ns"] / 1e3 for r in pts], "o", color=c, label=f"host, {name}")
        left.plot(x, [r["calibrated_ns"] / 1e3 for r in pts], "-", color=c,
                  label=f"calibrated model, {name}")
        left.plot(x, [r["preset_ns"] / 1e3 for r in pts], ":", color=c, alpha=0.7,
                  label=f"preset, {name}")
    left.set_xscale("log", base=2)
    left.set_yscale("log")
    left.axvline(33.5, color="grey", lw=0.8, ls="--")
    left.text(36, left.get_ylim()[0] * 1.3, "33-page flush ceiling", color="grey", fontsize=8)
    left.set_xlabel("pages changed (4 KiB)")
    left.set_ylabel("one mprotect(PROT_READ) call (us)")
    left.set_title("mprotect: host against model")
    left.legend(fontsize=7.5, loc="upper left")
    left.grid(True, which="both", alpha=0.25)

    groups = ("memory", "syscall", "mprotect (VMA)", "fault", "sigsegv")
    others = [r for r in rows if r["group"] in groups and r["host_ns"] > 0]
    labels = [r["point"] for r in others]
    y = range(len(others))
    right.barh([i + 0.2 for i in y], [r["calibrated_ns"] / r["host_ns"] for r in others],
               height=0.4, color="tab:purple", label="calibrated model / host")
    right.barh([i - 0.2 for i in y], [r["preset_ns"] / r["host_ns"] for r in others],
               height=0.4, color="tab:grey", alpha=0.6, label="preset / host")
    right.axvline(1, color="black", lw=0.8)
    for edge in (0.75, 1.25):
        right.axvline(edge, color="black", lw=0.5, ls=":")
    right.set_yticks(list(y))
    right.set_yticklabels(labels, fontsize=8)
    right.invert_yaxis()
    right.set_xscale("log", base=2)
    ticks = [t for t in (0.125, 0.25, 0.5, 0.75, 1, 1.25, 2, 4, 8)
             if right.get_xlim()[0] <= t <= right.get_xlim()[1]]
    right.set_xticks(ticks)
    right.set_xticklabels([f"{t:g}" for t in ticks])
    right.minorticks_off()
    right.set_xlabel("prediction / measurement (dotted: ±25%)")
    right.set_title("memory, system call, VMA changes, faults")
    right.legend(fontsize=7.5, loc="lower right")
    right.grid(True, axis="x", alpha=0.25)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    try:
        pkusim_plot.save(fig, prefix)  # atomic, deterministic
    except pkusim_plot.PlotError as e:
        raise BadInput(str(e))


def main(argv):
    ap = argparse.ArgumentParser(prog=PROG, description="the figure of a pkusim calibration")
    ap.add_argument("table")
    ap.add_argument("prefix")
    ap.add_argument("--title", default="")
    a = ap.parse_args(argv)
    try:
        draw(read(a.table), a.prefix, a.title)
    except BadInput as e:
        print(f"{PROG}: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except SystemExit:
        raise
    except Exception:
        traceback.print_exc()
        sys.exit(70)
