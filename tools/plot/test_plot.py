#!/usr/bin/python3
"""Tests of pkusim_plot.py and html_page.py: /usr/bin/python3 tools/plot/test_plot.py"""

import json
import os
import subprocess
import sys
import tempfile
import unittest
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import html_page  # noqa: E402
import pkusim_plot  # noqa: E402
from pkusim_plot import PlotError  # noqa: E402

PYTHON = os.environ.get("PKUSIM_PYTHON", sys.executable)
PLOT = os.path.join(HERE, "pkusim_plot.py")
PAGE = os.path.join(HERE, "html_page.py")
CALIBRATION = os.path.join(HERE, "calibration_figure.py")
SVG_NS = "{http://www.w3.org/2000/svg}"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

SWEEP = """variant,page_bytes,region_bytes,cycles,overhead_pct
mprotect,4096,4096,3200,0.5
mprotect,4096,1048576,9000,1.5
mprotect,4096,68719476736,500000000,40
wrpkru,4096,4096,28,0.01
wrpkru,4096,1048576,28,0.01
wrpkru,4096,68719476736,28,0.01
pkey_mprotect,4096,4096,2800,0.4
pkey_mprotect,4096,1048576,8000,1.2
pkey_mprotect,4096,68719476736,400000000,35
mprotect,2097152,4096,3200,0.5
mprotect,2097152,1048576,3300,0.6
mprotect,2097152,68719476736,1000000,2
wrpkru,2097152,4096,28,0.01
wrpkru,2097152,1048576,28,0.01
wrpkru,2097152,68719476736,28,0.01
pkey_mprotect,2097152,4096,2800,0.4
pkey_mprotect,2097152,1048576,2900,0.5
pkey_mprotect,2097152,68719476736,900000,1.8
"""

STACK = """variant,base,memory,syscall,shootdown
mprotect,100,200,300,400
wrpkru,100,200,10,0
"""


class TempDir(unittest.TestCase):
    def setUp(self):
        self._tmp = tempfile.TemporaryDirectory()
        self.dir = self._tmp.name

    def tearDown(self):
        self._tmp.cleanup()

    def write(self, name, text):
        path = os.path.join(self.dir, name)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        return path

    def path(self, name):
        return os.path.join(self.dir, name)

    def run_tool(self, script, *args, env=None):
        return subprocess.run([PYTHON, script, *args], capture_output=True, text=True,
                              cwd=self.dir, env=env, timeout=60)

    def assert_fails(self, result, *fragments):
        """Exit 2 with one line on stderr containing every fragment."""
        self.assertEqual(result.returncode, 2, result.stderr)
        lines = result.stderr.strip().splitlines()
        self.assertEqual(len(lines), 1, result.stderr)
        for fragment in fragments:
            self.assertIn(fragment, lines[0])
        return lines[0]


def read_bytes(path):
    with open(path, "rb") as f:
        return f.read()


def svg_ids(path):
    root = ET.parse(path).getroot()
    return {e.get("id") for e in root.iter() if e.get("id")}


def series_ids(path):
    """The facet-F-series-S names in an SVG (bars add -bar-N)."""
    out = set()
    for gid in svg_ids(path):
        if gid.startswith("facet-") and "-series-" in gid:
            out.add("-".join(gid.split("-")[:4]))
    return out


class PlotOutputTest(TempDir):
    def test_writes_a_png_and_an_svg_that_parses(self):
        csv_path = self.write("s.csv", SWEEP)
        result = self.run_tool(PLOT, csv_path, "--x", "region_bytes", "--y", "cycles",
                               "--group", "variant", "--filter", "page_bytes=4096",
                               "--logx", "--logy", "-o", "out")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(read_bytes(self.path("out.png"))[:8], PNG_SIGNATURE)
        root = ET.parse(self.path("out.svg")).getroot()
        self.assertEqual(root.tag, SVG_NS + "svg")
        self.assertEqual(series_ids(self.path("out.svg")),
                         {"facet-0-series-0", "facet-0-series-1", "facet-0-series-2"})
        leftovers = [n for n in os.listdir(self.dir) if n.endswith(".tmp")]
        self.assertEqual(leftovers, [])

    def test_same_csv_gives_byte_identical_files(self):
        csv_path = self.write("s.csv", SWEEP)
        outputs = []
        for seed in ("1", "2"):
            env = dict(os.environ, PYTHONHASHSEED=seed)
            result = self.run_tool(PLOT, csv_path, "--x", "region_bytes", "--y", "cycles",
                                   "--group", "variant", "--facet", "page_bytes", "--logx",
                                   "--logy", "--title", "t", "-o", f"run{seed}", env=env)
            self.assertEqual(result.returncode, 0, result.stderr)
            outputs.append([read_bytes(self.path(f"run{seed}.{ext}")) for ext in ("png", "svg")])
        self.assertEqual(outputs[0][0], outputs[1][0], "PNG differs between runs")
        self.assertEqual(outputs[0][1], outputs[1][1], "SVG differs between runs")
        self.assertNotIn(b"<dc:date>", outputs[0][1])
        self.assertNotIn(b"Software", outputs[0][0])

    def test_stacked_from_the_command_line(self):
        csv_path = self.write("stack.csv", STACK)
        result = self.run_tool(PLOT, csv_path, "--x", "variant", "--y", "base,memory",
                               "--y", "syscall,shootdown", "--kind", "stacked", "-o", "st.svg")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertTrue(os.path.isfile(self.path("st.png")))  # .svg suffix dropped
        self.assertEqual(len(series_ids(self.path("st.svg"))), 4)

    def test_outputs_follow_the_umask_not_the_temp_file_mode(self):
        table = pkusim_plot.read_csv(self.write("s.csv", SWEEP))
        old = os.umask(0o022)
        try:
            png, svg = pkusim_plot.save(pkusim_plot.line_plot(
                table, "region_bytes", "cycles", group="variant", facet="page_bytes",
                on_note=[].append), self.path("m"))
        finally:
            os.umask(old)
        self.assertEqual(os.stat(png).st_mode & 0o777, 0o644)
        self.assertEqual(os.stat(svg).st_mode & 0o777, 0o644)


class PlotShapeTest(TempDir):
    def setUp(self):
        super().setUp()
        self.table = pkusim_plot.read_csv(self.write("s.csv", SWEEP))

    def data_lines(self, ax):
        return [line for line in ax.get_lines() if len(line.get_xdata())]

    def test_one_line_per_group_in_numeric_x_order(self):
        rows = pkusim_plot.filter_rows(self.table, ["page_bytes=4096"])
        fig = pkusim_plot.line_plot(rows, "region_bytes", "cycles", group="variant")
        (ax,) = fig.axes
        lines = self.data_lines(ax)
        self.assertEqual(len(lines), 3)
        self.assertEqual(list(lines[0].get_xdata()), [4096, 1048576, 68719476736])
        # string groups keep their first-seen order
        self.assertEqual([t.get_text() for t in ax.get_legend().get_texts()],
                         ["mprotect", "wrpkru", "pkey_mprotect"])
        self.assertEqual(ax.get_xlabel(), "region_bytes")
        self.assertEqual(lines[0].get_marker(), "o")

    def test_numeric_groups_sort_by_value(self):
        rows = self.write("g.csv", "x,n,y\n1,10,1\n1,9,2\n1,100,3\n2,10,1\n")
        fig = pkusim_plot.line_plot(pkusim_plot.read_csv(rows), "x", "y", group="n")
        self.assertEqual([t.get_text() for t in fig.axes[0].get_legend().get_texts()],
                         ["9", "10", "100"])

    def test_one_subplot_per_facet_sharing_axes(self):
        fig = pkusim_plot.line_plot(self.table, "region_bytes", "cycles", group="variant",
                                    facet="page_bytes", logx=True, logy=True)
        self.assertEqual(len(fig.axes), 2)
        self.assertEqual([ax.get_title() for ax in fig.axes],
                         ["page_bytes = 4 KiB", "page_bytes = 2 MiB"])
        for ax in fig.axes:
            self.assertEqual(len(self.data_lines(ax)), 3)
        self.assertIs(fig.axes[0].get_shared_y_axes().joined(fig.axes[0], fig.axes[1]), True)
        self.assertEqual(len(fig.legends), 1)

    def test_rows_sharing_a_point_are_averaged_with_a_note(self):
        notes = []
        fig = pkusim_plot.line_plot(self.table, "region_bytes", "cycles", group="variant",
                                    on_note=notes.append)  # page sizes not told apart
        first = self.data_lines(fig.axes[0])[0]  # mprotect
        self.assertEqual(list(first.get_ydata()), [3200, (9000 + 3300) / 2,
                                                   (500000000 + 1000000) / 2])
        self.assertEqual(len(notes), 1)
        self.assertIn("9 points combine several rows (18 rows", notes[0])
        fig = pkusim_plot.line_plot(self.table, "region_bytes", "cycles", group="variant",
                                    agg="max", on_note=notes.append)
        self.assertEqual(self.data_lines(fig.axes[0])[0].get_ydata()[2], 500000000)

    def test_no_note_when_every_point_is_one_row(self):
        notes = []
        pkusim_plot.line_plot(self.table, "region_bytes", "cycles", group="variant",
                              facet="page_bytes", on_note=notes.append)
        self.assertEqual(notes, [])

    def test_string_x_is_categorical_in_first_seen_order(self):
        rows = pkusim_plot.filter_rows(self.table, ["region_bytes=4096"])
        fig = pkusim_plot.line_plot(rows, "variant", "cycles", group="page_bytes")
        ax = fig.axes[0]
        self.assertEqual([t.get_text() for t in ax.get_xticklabels()],
                         ["mprotect", "wrpkru", "pkey_mprotect"])
        self.assertEqual(list(self.data_lines(ax)[0].get_xdata()), [0, 1, 2])
        with self.assertRaisesRegex(PlotError, "--logx needs numeric x"):
            pkusim_plot.line_plot(rows, "variant", "cycles", logx=True)

    def test_grouped_bars(self):
        rows = pkusim_plot.filter_rows(self.table, ["region_bytes=4096"])
        fig = pkusim_plot.bar_plot(rows, "variant", "cycles", group="page_bytes")
        bars = fig.axes[0].patches
        self.assertEqual(len(bars), 6)
        self.assertEqual(sorted(b.get_height() for b in bars),
                         [28, 28, 2800, 2800, 3200, 3200])

    def test_log_bars_stand_on_one(self):
        # Slowdowns of 2x to 20x: on a log axis the bars start at 1x, so a
        # 2x bar is not drawn as nothing next to a 20x one.
        table = pkusim_plot.read_csv(self.write("slow.csv",
                                                "variant,slowdown\nnone,2.08\nlinux,20\n"))
        fig = pkusim_plot.bar_plot(table, "variant", "slowdown", logy=True)
        self.assertEqual(fig.axes[0].get_ylim()[0], 1.0)
        # Below 1: the decade under the smallest value.
        table = pkusim_plot.read_csv(self.write("frac.csv", "variant,x\na,0.25\nb,3\n"))
        fig = pkusim_plot.bar_plot(table, "variant", "x", logy=True)
        self.assertAlmostEqual(fig.axes[0].get_ylim()[0], 0.1)
        # A bar of exactly 1 still shows.
        table = pkusim_plot.read_csv(self.write("one.csv", "variant,x\na,1\nb,3\n"))
        fig = pkusim_plot.bar_plot(table, "variant", "x", logy=True)
        self.assertAlmostEqual(fig.axes[0].get_ylim()[0], 0.1)

    def test_stacked_bars_stack_components_in_order(self):
        table = pkusim_plot.read_csv(self.write("stack.csv", STACK))
        components = ["base", "memory", "syscall", "shootdown"]
        fig = pkusim_plot.stacked_bar(table, "variant", components)
        bars = fig.axes[0].patches
        self.assertEqual(len(bars), 8)
        mprotect = [b for b in bars if abs(b.get_x() + b.get_width() / 2) < 1e-9]
        self.assertEqual([(b.get_y(), b.get_height()) for b in mprotect],
                         [(0, 100), (100, 200), (300, 300), (600, 400)])
        legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
        self.assertEqual(legend, components[::-1])
        fig = pkusim_plot.stacked_bar(table, "variant", components, normalize=True)
        tops = {}
        for b in fig.axes[0].patches:
            tops[round(b.get_x(), 6)] = max(tops.get(round(b.get_x(), 6), 0),
                                            b.get_y() + b.get_height())
        self.assertEqual([round(t, 9) for t in tops.values()], [100, 100])
        self.assertEqual(fig.axes[0].get_ylabel(), "% of total")

    def test_byte_columns_read_in_binary_units(self):
        self.assertEqual(pkusim_plot.format_bytes(4096), "4 KiB")
        self.assertEqual(pkusim_plot.format_bytes(68719476736), "64 GiB")
        self.assertEqual(pkusim_plot.format_bytes(1536), "1.5 KiB")
        rows = pkusim_plot.filter_rows(self.table, ["page_bytes=4096"])
        fig = pkusim_plot.line_plot(rows, "region_bytes", "cycles", group="variant",
                                    logx=True, logy=True)
        axis = fig.axes[0].xaxis
        ticks = axis.get_major_locator().tick_values(4096, 68719476736)
        labels = axis.get_major_formatter().format_ticks(ticks)
        self.assertEqual(labels[0], "4 KiB")
        self.assertEqual(labels[-1], "64 GiB")
        self.assertLessEqual(len(labels), 8)
        yaxis = fig.axes[0].yaxis
        self.assertEqual(yaxis.get_major_formatter().format_ticks([1e3, 1e6]), ["1k", "1M"])

    def test_filters(self):
        one = pkusim_plot.filter_rows(self.table, ["variant=wrpkru", "page_bytes=4096.0"])
        self.assertEqual(len(one), 3)
        either = pkusim_plot.filter_rows(self.table, ["variant=wrpkru", "variant=mprotect"])
        self.assertEqual(len(either), 12)
        with self.assertRaisesRegex(PlotError, "no rows left .*variant has mprotect"):
            pkusim_plot.filter_rows(self.table, ["variant=nope"])
        with self.assertRaisesRegex(PlotError, "unknown column 'nope' for --filter"):
            pkusim_plot.filter_rows(self.table, ["nope=1"])


class PlotErrorTest(TempDir):
    def plot(self, csv_text, *args):
        path = self.write("in.csv", csv_text)
        return self.run_tool(PLOT, path, *args)

    def test_unknown_column_lists_the_available_ones(self):
        line = self.assert_fails(self.plot(SWEEP, "--x", "size", "--y", "cycles", "-o", "o"),
                                 "unknown column 'size' for --x",
                                 "variant, page_bytes, region_bytes, cycles, overhead_pct")
        self.assertTrue(line.startswith("pkusim_plot: "))
        self.assert_fails(self.plot(SWEEP, "--x", "region_bytes", "--y", "cycles,nope",
                                    "-o", "o"), "unknown column 'nope' for --y")

    def test_empty_csv(self):
        self.assert_fails(self.plot("", "--x", "a", "--y", "b", "-o", "o"), "empty CSV")
        self.assert_fails(self.plot("a,b\n", "--x", "a", "--y", "b", "-o", "o"),
                          "no data rows")

    def test_non_numeric_y_names_the_line_and_column(self):
        self.assert_fails(self.plot("a,b\n1,2\n2,fast\n", "--x", "a", "--y", "b", "-o", "o"),
                          "in.csv:3: column 'b' is 'fast', not a finite number")
        self.assert_fails(self.plot("a,b\n1,2\n2,\n", "--x", "a", "--y", "b", "-o", "o"),
                          "in.csv:3: column 'b' is empty")

    def test_ragged_row(self):
        self.assert_fails(self.plot("a,b\n1,2,3\n", "--x", "a", "--y", "b", "-o", "o"),
                          "in.csv:2: 3 fields, the header has 2")

    def test_unwritable_output(self):
        self.write("plain-file", "x")
        self.assert_fails(self.plot(SWEEP, "--x", "region_bytes", "--y", "cycles",
                                    "--group", "variant", "--facet", "page_bytes",
                                    "-o", "missing-dir/out"),
                          "cannot write missing-dir/out.png")
        self.assert_fails(self.plot(SWEEP, "--x", "region_bytes", "--y", "cycles",
                                    "--group", "variant", "--facet", "page_bytes",
                                    "-o", "plain-file/out"), "cannot write plain-file/out.png")
        self.assertEqual(sorted(os.listdir(self.dir)), ["in.csv", "plain-file"])

    def test_usage_errors_are_one_line_too(self):
        self.assert_fails(self.plot(SWEEP, "--x", "region_bytes", "--y", "cycles",
                                    "--kind", "pie", "-o", "o"), "invalid choice: 'pie'")
        self.assert_fails(self.plot(STACK, "--x", "variant", "--y", "base", "--kind",
                                    "stacked", "--group", "variant", "-o", "o"),
                          "--group does not apply to --kind stacked")
        self.assert_fails(self.run_tool(PLOT, "no-such.csv", "--x", "a", "--y", "b",
                                        "-o", "o"), "cannot read no-such.csv")

    def test_missing_matplotlib_is_exit_3(self):
        path = self.write("in.csv", SWEEP)
        result = subprocess.run([PYTHON, "-S", PLOT, path, "--x", "region_bytes", "--y",
                                 "cycles", "-o", "o"], capture_output=True, text=True,
                                cwd=self.dir, timeout=60)
        self.assertEqual(result.returncode, 3, result.stderr)
        self.assertIn("matplotlib is not installed", result.stderr)

    def test_log_axis_needs_positive_values(self):
        self.assert_fails(self.plot("a,b\n1,0\n2,3\n", "--x", "a", "--y", "b", "--logy",
                                    "-o", "o"), "in.csv:2: column 'b' is 0; --logy needs")


class HtmlPageTest(TempDir):
    def page(self, **extra):
        page = {"title": "Results <&> \"quoted\"",
                "intro": ["Intro with `code` and <b>not bold</b>."],
                "sections": [{"heading": "Overhead",
                              "text": "A & B",
                              "figures": [{"src": "fig.svg", "alt": "a <plot>",
                                           "caption": "Figure 1 'x'"}],
                              "table": {"columns": ["variant", "cycles", "share"],
                                        "rows": [["mprotect", 5200, "12.5%"],
                                                 ["<wrpkru>", 28.5, None]]}}],
                "footer": "made here"}
        page.update(extra)
        return page

    def figures(self):
        self.write("fig.svg", "<svg xmlns='http://www.w3.org/2000/svg'/>")
        self.write("fig.png", "png")

    def test_every_string_is_escaped(self):
        text = html_page.render(self.page())
        self.assertIn("<title>Results &lt;&amp;&gt; &quot;quoted&quot;</title>", text)
        self.assertIn("<code>code</code> and &lt;b&gt;not bold&lt;/b&gt;", text)
        self.assertIn('alt="a &lt;plot&gt;"', text)
        self.assertIn("&lt;wrpkru&gt;", text)
        self.assertIn("Figure 1 &#x27;x&#x27;", text)
        self.assertNotIn("<b>", text)
        self.assertNotIn("<wrpkru>", text)

    def test_page_has_no_external_references(self):
        self.figures()
        result = self.run_tool(PAGE, self.write("page.json", json.dumps(self.page())),
                               "-o", "index.html")
        self.assertEqual(result.returncode, 0, result.stderr)
        text = read_bytes(self.path("index.html")).decode("utf-8")
        for needle in ("http:", "https:", "//", "<script", "<link", "@import", "url("):
            self.assertNotIn(needle, text)
        self.assertIn('<img src="fig.svg"', text)
        self.assertIn('<a href="fig.png">PNG</a>', text)
        self.assertEqual([n for n in os.listdir(self.dir) if n.endswith(".tmp")], [])

    def test_numeric_columns_are_right_aligned(self):
        text = html_page.render(self.page())
        self.assertIn('<th class="left" scope="col">variant</th>', text)
        self.assertIn('<th class="num" scope="col">cycles</th>', text)
        self.assertIn('<td class="num">28.5</td>', text)
        self.assertIn('<td class="num">12.5%</td>', text)
        self.assertIn('<td class="num"></td>', text)  # null cell

    def test_png_link_only_when_the_png_exists(self):
        self.write("fig.svg", "<svg/>")
        text = html_page.render(self.page(), base_dir=self.dir)
        self.assertNotIn("fig.png", text)

    def test_bad_pages_exit_2_naming_the_json_path(self):
        self.figures()
        cases = [
            (self.page(sections=[{"heading": "h", "tabel": {}}]),
             "sections[0].tabel: unknown key; valid: figures, heading, table, text"),
            (self.page(sections=[{"heading": "h", "figures": [{"src": "gone.svg", "alt": "a"}]}]),
             "sections[0].figures[0].src: 'gone.svg' not found"),
            (self.page(sections=[{"heading": "h", "figures": [
                {"src": "https://example.org/f.svg", "alt": "a"}]}]),
             "must be a relative path"),
            (self.page(sections=[{"heading": "h", "figures": [
                {"src": "data:image/svg+xml,<svg/>", "alt": "a"}]}]),
             "must be a relative path"),
            (self.page(sections=[{"heading": "h", "table": {"columns": ["a", "b"],
                                                            "rows": [[1]]}}]),
             "sections[0].table.rows[0]: expected a list of 2 cells"),
            ({"intro": ["no title"]}, "title: missing"),
        ]
        for page, message in cases:
            with self.subTest(message=message):
                path = self.write("bad.json", json.dumps(page))
                self.assert_fails(self.run_tool(PAGE, path, "-o", "index.html"), message)
        self.assert_fails(self.run_tool(PAGE, self.write("broken.json", '{"title": '),
                                        "-o", "index.html"), "broken.json:1:11: invalid JSON")
        self.assertFalse(os.path.exists(self.path("index.html")))

    def test_contents_list_from_three_sections(self):
        sections = [{"heading": f"S{i}"} for i in range(3)]
        text = html_page.render({"title": "t", "sections": sections})
        self.assertIn('<li><a href="#s3">S2</a></li>', text)
        self.assertIn('<section id="s3">', text)
        self.assertNotIn("<nav", html_page.render({"title": "t", "sections": sections[:2]}))



CALIBRATION_TABLE = """group,point,params,fitted,doubt,host_ns,calibrated_ns,error,preset_ns
memory,chase 16 KiB (THP),bytes=16384 page_size=2m,1,,1.0,1.03,0.03,1.6
syscall,getppid,call=getppid,1,,130,130,0,100
mprotect,"1 page, alone, R",direction=r page_size=4k pages=1 peer=alone,1,,1300,1350,0.04,700
mprotect,"34 pages, alone, R",direction=r page_size=4k pages=34 peer=alone,1,,4000,3960,-0.01,1800
mprotect,"1 page, active peer, R",direction=r page_size=4k pages=1 peer=active,1,,13000,11800,-0.1,2400
"""


class CalibrationFigureTest(unittest.TestCase):
    def run_figure(self, table, *extra):
        with tempfile.TemporaryDirectory() as d:
            csv_path = os.path.join(d, "t.csv")
            with open(csv_path, "w") as f:
                f.write(table)
            prefix = os.path.join(d, "fig")
            r = subprocess.run([PYTHON, CALIBRATION, csv_path, prefix, *extra],
                               capture_output=True, text=True)
            files = {}
            for ext in ("png", "svg"):
                if os.path.exists(f"{prefix}.{ext}"):
                    with open(f"{prefix}.{ext}", "rb") as f:
                        files[ext] = f.read()
            return r, files

    def test_draws_both_panels_deterministically(self):
        r, first = self.run_figure(CALIBRATION_TABLE, "--title", "t")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertTrue(first["png"].startswith(PNG_SIGNATURE))
        root = ET.fromstring(first["svg"])
        self.assertTrue(root.tag.endswith("svg"))
        _, second = self.run_figure(CALIBRATION_TABLE, "--title", "t")
        self.assertEqual(first, second)

    def test_not_a_calibration_table(self):
        r, files = self.run_figure("a,b\n1,2\n")
        self.assertEqual(r.returncode, 2)
        self.assertIn("not a pkusim calibrate table (missing column group)", r.stderr)
        self.assertEqual(files, {})

    def test_bad_number_names_the_line(self):
        r, _ = self.run_figure(CALIBRATION_TABLE.replace("130,130", "fast,130"))
        self.assertEqual(r.returncode, 2)
        self.assertIn(":3: column host_ns: expected a number, got 'fast'", r.stderr)


if __name__ == "__main__":
    unittest.main()
