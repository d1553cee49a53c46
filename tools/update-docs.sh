#!/usr/bin/env bash
# Regenerates the sections of docs/ that pkusim prints itself (the parameter
# table of docs/config.md, the statistics of docs/report.md); ctest's docs/*
# tests fail when they are out of date.
#   tools/update-docs.sh [PKUSIM]   (default: build/release/sim/pkusim)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
pkusim=${1:-$here/build/release/sim/pkusim}
/usr/bin/env python3 - "$pkusim" "$here/docs/config.md" "$here/docs/report.md" <<'PY'
import re, subprocess, sys
pkusim, *docs = sys.argv[1:]
for doc in docs:
    text = open(doc).read()
    def fill(m):
        args = m.group(1).split()
        out = subprocess.run([pkusim] + args, check=True, capture_output=True, text=True).stdout
        return f"<!-- BEGIN generated: pkusim {m.group(1)} -->\n{out}<!-- END generated -->"
    new = re.sub(r"<!-- BEGIN generated: pkusim (.*?) -->\n.*?<!-- END generated -->", fill, text,
                 flags=re.S)
    if new != text:
        open(doc, "w").write(new)
        print(f"updated {doc}")
PY
