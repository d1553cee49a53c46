#!/usr/bin/env bash
# pkusim cachesim against Cachegrind itself: the same program traced by
# valgrind lackey and simulated by cachegrind, under a fixed environment
# (the program's path through its code depends on its environment, arguments
# and address layout: env(1) -i, setarch(8) -R), must give all nine counters
# equal, for several programs and three geometries.
#   compare.sh PKUSIM WORKDIR
set -euo pipefail
pkusim=$(realpath "$1")
work=$2
rm -rf "$work"
mkdir -p "$work"
cd "$work"
# Inputs made here, so every run reads the same bytes.
seq 1 3000 | sort -R --random-source=<(yes) > numbers.txt
head -c 20000 /usr/include/stdio.h > text.txt

# Both tools run under the same fixed environment, without ASLR, with
# relative names, from one directory.
run() { env -i PATH=/usr/bin:/bin HOME=/ LANG=C setarch -R valgrind "$@"; }

programs=("true" "sort -n numbers.txt" "gzip -6 -c text.txt")
geometries=("32768,8,64 32768,8,64 262144,8,64"
            "16384,4,32 8192,2,64 131072,16,64"
            "4096,1,64 4096,4,32 65536,4,128")
fail=0
for p in "${programs[@]}"; do
  name=${p%% *}
  run --tool=lackey --trace-mem=yes --log-file="$name.lackey" $p > /dev/null 2>&1
  for geo in "${geometries[@]}"; do
    read -r i1 d1 ll <<< "$geo"
    rm -f cachegrind.out.*
    run --tool=cachegrind --cache-sim=yes --I1="$i1" --D1="$d1" --LL="$ll" \
        --cachegrind-out-file=cg.out $p > /dev/null 2> cg.log
    want=$(grep '^summary:' cg.out | cut -d' ' -f2-)
    got=$("$pkusim" cachesim --I1="$i1" --D1="$d1" --LL="$ll" "$name.lackey" | grep '^summary:' | cut -d' ' -f2-)
    if [ "$want" = "$got" ]; then
      echo "ok   $name  I1=$i1 D1=$d1 LL=$ll  $got"
    else
      echo "DIFF $name  I1=$i1 D1=$d1 LL=$ll"
      echo "     cachegrind: $want"
      echo "     pkusim:     $got"
      fail=1
    fi
  done
done
exit $fail
