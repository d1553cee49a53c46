#!/usr/bin/python3
"""An offline result page (index.html) from a JSON description.

    html_page.py PAGE.json -o DIR/index.html

The page works opened from disk: inline CSS, no JavaScript, no fonts,
scripts or stylesheets from elsewhere; figures are referenced by relative
path (the SVG shown, a link to the PNG). Every string from PAGE.json is
HTML-escaped; `text between backticks` becomes code. PAGE.json:

    {"title": "...",                         required
     "intro": ["paragraph", ...],            a string or a list of strings
     "sections": [
       {"heading": "...",                    required
        "text": ["paragraph", ...],
        "figures": [{"src": "fig.svg",       required, relative to the page
                     "alt": "...",           required: what the figure shows
                     "caption": "...",
                     "png": "fig.png"}],     default: fig.png if it exists
        "table": {"columns": ["a", "b"],     required
                  "rows": [["x", 1.5], ...], cells: strings, numbers or null
                  "align": "auto",           or ["left", "right", ...]
                  "caption": "..."}}],
     "footer": "..."}                        a string or a list of strings

A section shows its text, then its figures, then its table. Unknown keys
and wrong types are errors naming the JSON path. Exit codes: 0 ok, 2 bad
input or output (one line on stderr), 70 internal error. Only the standard
library.
"""

import argparse
import html
import json
import math
import os
import re
import sys
import tempfile
import traceback
import urllib.parse

PROG = "html_page"

PAGE_KEYS = {"title", "intro", "sections", "footer"}
SECTION_KEYS = {"heading", "text", "figures", "table"}
FIGURE_KEYS = {"src", "alt", "caption", "png"}
TABLE_KEYS = {"columns", "rows", "align", "caption"}
ALIGNMENTS = ("left", "right", "center")

# A number as results tables spell it: 1234, 1,234, -0.5, 1e-3, 12.5%,
# 3.2x, 4 KiB, 1.2M, 35.6 us. Such columns are right-aligned.
NUMBER_CELL = re.compile(
    r"[+\-\u2212]?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?([eE][+\-]?\d+)?"
    r"(\s?(%|x|\u00d7|[kMGTP]|[KMGTPE]iB|B|ns|us|\u00b5s|ms|s))?")
EMPTY_CELLS = {"", "-", "\u2013", "\u2014", "n/a", "NA"}

CSS = """
:root { color-scheme: light; }
body { margin: 2rem auto 3rem; max-width: 54rem; padding: 0 1.25rem;
  font-family: -apple-system, "Segoe UI", "Helvetica Neue", "DejaVu Sans",
    Arial, sans-serif;
  font-size: 16px; line-height: 1.55; color: #1f2328; background: #fff; }
h1 { font-size: 1.7rem; line-height: 1.25; margin: 0 0 0.8rem; font-weight: 600; }
h2 { font-size: 1.25rem; margin: 2.4rem 0 0.6rem; padding-bottom: 0.25rem;
  border-bottom: 1px solid #d8dee4; font-weight: 600; }
p { margin: 0.6rem 0; }
code { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace;
  font-size: 0.88em; background: #f3f4f6; padding: 0.05em 0.3em; border-radius: 3px; }
nav ol { margin: 0.5rem 0 0; padding-left: 1.4rem; }
nav a, figcaption a { color: #0a58ca; }
figure { margin: 1.4rem 0; }
figure img { display: block; max-width: 100%; height: auto; margin: 0 auto; }
figcaption { font-size: 0.9rem; color: #57606a; margin-top: 0.4rem; text-align: center; }
.table-wrap { overflow-x: auto; margin: 1.2rem 0; }
table { border-collapse: collapse; font-size: 0.92rem; margin: 0 auto;
  border-top: 2px solid #1f2328; border-bottom: 2px solid #1f2328; }
caption { caption-side: top; font-size: 0.9rem; color: #57606a; padding-bottom: 0.4rem; }
th, td { padding: 0.3rem 0.75rem; vertical-align: top; }
thead th { border-bottom: 1px solid #1f2328; font-weight: 600; }
tbody tr:nth-child(even) { background: #f6f8fa; }
.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.left { text-align: left; }
.center { text-align: center; }
footer { margin-top: 3rem; padding-top: 0.6rem; border-top: 1px solid #d8dee4;
  font-size: 0.85rem; color: #57606a; }
@media print { body { margin: 0; max-width: none; } nav { display: none; }
  figure, table { break-inside: avoid; } }
"""


class PageError(Exception):
    """A problem with PAGE.json or the output; the message is one line."""


# -------------------------------------------------------------- validation

def _check_keys(obj, path, allowed, required=()):
    if not isinstance(obj, dict):
        raise PageError(f"{path}: expected an object")
    for key in obj:
        if key not in allowed:
            raise PageError(f"{_join(path, key)}: unknown key; valid: {', '.join(sorted(allowed))}")
    for key in required:
        if key not in obj:
            raise PageError(f"{_join(path, key)}: missing")


def _join(path, key):
    return f"{path}.{key}" if path else key


def _string(value, path):
    if not isinstance(value, str):
        raise PageError(f"{path}: expected a string")
    return value


def _paragraphs(value, path):
    """A string or a list of strings -> a list of strings."""
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list):
        raise PageError(f"{path}: expected a string or a list of strings")
    return [_string(v, f"{path}[{i}]") for i, v in enumerate(value)]


def _list(value, path):
    if not isinstance(value, list):
        raise PageError(f"{path}: expected a list")
    return value


def _relative_src(value, path):
    src = _string(value, path)
    if not src:
        raise PageError(f"{path}: empty")
    if ":" in src or "//" in src or "\\" in src or src.startswith("/"):
        raise PageError(f"{path}: '{src}' must be a relative path (the page stays offline)")
    return src


# --------------------------------------------------------------- rendering

def _text(value):
    """Escape, then `code` spans."""
    escaped = html.escape(value, quote=True)
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", escaped)


def _url(src):
    return html.escape(urllib.parse.quote(src, safe="/"), quote=True)


def _cell_text(value, path):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise PageError(f"{path}: not a finite number")
        return repr(value) if not value.is_integer() or abs(value) >= 1e16 else str(int(value))
    if isinstance(value, str):
        return value
    raise PageError(f"{path}: expected a string, a number or null")


def _auto_align(cells):
    """Right for a column of numbers, else left."""
    values = [c for c in cells if c.strip() not in EMPTY_CELLS]
    if values and all(NUMBER_CELL.fullmatch(v.strip()) for v in values):
        return "right"
    return "left"


def _table(table, path):
    _check_keys(table, path, TABLE_KEYS, required=("columns", "rows"))
    columns = [_string(c, f"{path}.columns[{i}]")
               for i, c in enumerate(_list(table["columns"], f"{path}.columns"))]
    if not columns:
        raise PageError(f"{path}.columns: empty")
    rows = []
    for r, row in enumerate(_list(table["rows"], f"{path}.rows")):
        where = f"{path}.rows[{r}]"
        if not isinstance(row, list) or len(row) != len(columns):
            raise PageError(f"{where}: expected a list of {len(columns)} cells")
        rows.append([_cell_text(v, f"{where}[{c}]") for c, v in enumerate(row)])
    align = table.get("align", "auto")
    if align == "auto":
        align = [_auto_align([row[c] for row in rows]) for c in range(len(columns))]
    else:
        align = _list(align, f"{path}.align")
        if len(align) != len(columns):
            raise PageError(f"{path}.align: expected {len(columns)} entries or \"auto\"")
        for i, a in enumerate(align):
            if a not in ALIGNMENTS:
                raise PageError(f"{path}.align[{i}]: expected one of {', '.join(ALIGNMENTS)}")
    cls = {"left": "left", "right": "num", "center": "center"}
    out = ['<div class="table-wrap"><table>']
    if "caption" in table:
        out.append(f"<caption>{_text(_string(table['caption'], path + '.caption'))}</caption>")
    out.append("<thead><tr>" + "".join(
        f'<th class="{cls[a]}" scope="col">{_text(c)}</th>' for c, a in zip(columns, align))
        + "</tr></thead>")
    out.append("<tbody>")
    for row in rows:
        out.append("<tr>" + "".join(f'<td class="{cls[a]}">{_text(v)}</td>'
                                    for v, a in zip(row, align)) + "</tr>")
    out.append("</tbody></table></div>")
    return "\n".join(out)


def _figure(figure, path, base_dir):
    _check_keys(figure, path, FIGURE_KEYS, required=("src", "alt"))
    src = _relative_src(figure["src"], path + ".src")
    alt = _string(figure["alt"], path + ".alt")
    png = None
    if "png" in figure:
        png = _relative_src(figure["png"], path + ".png")
    elif src.lower().endswith(".svg"):
        sibling = src[:-4] + ".png"
        if base_dir is not None and os.path.isfile(os.path.join(base_dir, sibling)):
            png = sibling
    if base_dir is not None:
        for what, name in (("src", src), ("png", png)):
            if name and not os.path.isfile(os.path.join(base_dir, name)):
                raise PageError(f"{path}.{what}: '{name}' not found next to the page "
                                f"({os.path.join(base_dir, name)})")
    parts = [f'<figure><a href="{_url(src)}"><img src="{_url(src)}" alt="{_text(alt)}">'
             "</a>"]
    caption = _text(_string(figure["caption"], path + ".caption")) if "caption" in figure else ""
    if png and png != src:
        link = f'<a href="{_url(png)}">PNG</a>'
        caption = f"{caption} ({link})" if caption else link
    if caption:
        parts.append(f"<figcaption>{caption}</figcaption>")
    parts.append("</figure>")
    return "".join(parts)


def render(page, base_dir=None):
    """The HTML of `page` (a dict as described above) as a string.

    With `base_dir` (the directory the page goes into), every figure file
    must exist there and an SVG's sibling PNG is linked when present."""
    _check_keys(page, "", PAGE_KEYS, required=("title",))
    title = _string(page["title"], "title")
    intro = _paragraphs(page.get("intro", []), "intro")
    sections = _list(page.get("sections", []), "sections")
    footer = _paragraphs(page.get("footer", []), "footer")

    body = [f"<header>\n<h1>{_text(title)}</h1>"]
    body += [f"<p>{_text(p)}</p>" for p in intro]
    body.append("</header>")
    headings = []
    parts = []
    for i, section in enumerate(sections):
        where = f"sections[{i}]"
        _check_keys(section, where, SECTION_KEYS, required=("heading",))
        heading = _string(section["heading"], where + ".heading")
        headings.append(heading)
        parts.append(f'<section id="s{i + 1}">\n<h2>{_text(heading)}</h2>')
        parts += [f"<p>{_text(p)}</p>"
                  for p in _paragraphs(section.get("text", []), where + ".text")]
        for j, figure in enumerate(_list(section.get("figures", []), where + ".figures")):
            parts.append(_figure(figure, f"{where}.figures[{j}]", base_dir))
        if "table" in section:
            parts.append(_table(section["table"], where + ".table"))
        parts.append("</section>")
    if len(sections) >= 3:
        body.append('<nav aria-label="Contents"><ol>')
        body += [f'<li><a href="#s{i + 1}">{_text(h)}</a></li>' for i, h in enumerate(headings)]
        body.append("</ol></nav>")
    body.append("<main>")
    body += parts
    body.append("</main>")
    if footer:
        body.append("<footer>" + "".join(f"<p>{_text(p)}</p>" for p in footer) + "</footer>")

    return "\n".join([
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_text(title)}</title>",
        f"<style>{CSS}</style>",
        "</head>",
        "<body>",
        *body,
        "</body>",
        "</html>",
        "",
    ])


def load_page(path):
    """Read PAGE.json; errors name the file, line and column."""
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except OSError as e:
        raise PageError(f"cannot read {path}: {e.strerror}") from None
    except UnicodeDecodeError:
        raise PageError(f"{path}: not UTF-8 text") from None
    except json.JSONDecodeError as e:
        raise PageError(f"{path}:{e.lineno}:{e.colno}: invalid JSON: {e.msg}") from None


def write_page(page, out_path):
    """Render `page` and write it to `out_path` atomically."""
    directory = os.path.dirname(out_path) or "."
    text = render(page, base_dir=directory)
    temp = None
    try:
        fd, temp = tempfile.mkstemp(dir=directory, prefix=f".{os.path.basename(out_path)}.",
                                    suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(temp, 0o666 & ~mask)
        os.replace(temp, out_path)
    except OSError as e:
        if temp and os.path.exists(temp):
            os.unlink(temp)
        raise PageError(f"cannot write {out_path}: {e.strerror or e}") from None
    return out_path


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        print(f"{PROG}: {message} (see --help)", file=sys.stderr)
        sys.exit(2)


def main(argv=None):
    parser = _Parser(prog="html_page.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("page", metavar="PAGE.json")
    parser.add_argument("-o", "--output", required=True, metavar="DIR/index.html")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    try:
        write_page(load_page(args.page), args.output)
    except PageError as e:
        print(f"{PROG}: {e}", file=sys.stderr)
        return 2
    except Exception:  # a bug here, not bad input
        traceback.print_exc()
        print(f"{PROG}: internal error", file=sys.stderr)
        return 70
    return 0


if __name__ == "__main__":
    sys.exit(main())
