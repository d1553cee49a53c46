#!/usr/bin/python3
"""Every figure of a study, then its page, in one run of matplotlib.

    pkusim_figures.py PLAN.json

`pkusim study` writes PLAN.json (figures.json in its output folder):

    {"figures": [{"csv": "DIR/fig-NAME.csv",     the figure's rows
                  "output": "DIR/fig-NAME",      PREFIX: PREFIX.png and .svg
                  "kind": "line|bar|stacked",
                  "x": COL, "y": [COL, ...],     stacked: the components
                  "group": COL, "facet": COL,    optional
                  "logx": bool, "logy": bool, "normalize": bool,
                  "independent_y": bool,             a y scale per facet
                  "filter": [[COL, VALUE], ...], as pkusim_plot.py --filter
                  "title": T, "xlabel": L, "ylabel": L}],
     "page": {...},                              html_page.py's PAGE.json
     "page_out": "DIR/index.html"}

Exit codes: 0 ok, 2 bad input or output (one line on stderr), 3 matplotlib
is missing for this interpreter, 70 internal error.
"""

import json
import os
import sys
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

PROG = "pkusim_figures"

try:
    import pkusim_plot
except ImportError:
    print(f"{PROG}: matplotlib is not installed for {sys.executable} (Debian: apt install "
          "python3-matplotlib, then run /usr/bin/python3 or set PKUSIM_PYTHON)", file=sys.stderr)
    sys.exit(3)
import html_page  # noqa: E402

FIGURE_KEYS = {"csv", "output", "kind", "x", "y", "group", "facet", "logx", "logy", "normalize",
               "independent_y", "filter", "title", "xlabel", "ylabel"}


class PlanError(Exception):
    pass


def draw(fig, where):
    unknown = set(fig) - FIGURE_KEYS
    if unknown:
        raise PlanError(f"{where}: unknown key {sorted(unknown)[0]}")
    rows = pkusim_plot.read_csv(fig["csv"])
    rows = pkusim_plot.filter_rows(rows, [f"{c}={v}" for c, v in fig.get("filter", [])])
    common = {"title": fig.get("title"), "xlabel": fig.get("xlabel"),
              "ylabel": fig.get("ylabel"), "out_prefix": fig["output"],
              "independent_y": fig.get("independent_y", False)}
    kind = fig.get("kind", "line")
    if kind == "stacked":
        pkusim_plot.stacked_bar(rows, fig["x"], fig["y"], fig.get("facet"),
                                normalize=fig.get("normalize", False), **common)
    elif kind == "bar":
        pkusim_plot.bar_plot(rows, fig["x"], fig["y"], fig.get("group"), fig.get("facet"),
                             logy=fig.get("logy", False), **common)
    else:
        pkusim_plot.line_plot(rows, fig["x"], fig["y"], fig.get("group"), fig.get("facet"),
                              logx=fig.get("logx", False), logy=fig.get("logy", False), **common)


def main(argv):
    if len(argv) != 1:
        print(f"usage: {PROG}.py PLAN.json", file=sys.stderr)
        return 2
    try:
        with open(argv[0], encoding="utf-8") as f:
            plan = json.load(f)
        for i, fig in enumerate(plan.get("figures", [])):
            draw(fig, f"{argv[0]}: figures[{i}]")
        html_page.write_page(plan["page"], plan["page_out"])
    except (OSError, ValueError, KeyError) as e:
        print(f"{PROG}: {argv[0]}: {e}", file=sys.stderr)
        return 2
    except (pkusim_plot.PlotError, html_page.PageError, PlanError) as e:
        print(f"{PROG}: {e}", file=sys.stderr)
        return 2
    except Exception:  # a bug here, not bad input
        traceback.print_exc()
        print(f"{PROG}: internal error", file=sys.stderr)
        return 70
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
