#!/bin/sh
# Speed of var.exe under Wine against the Linux builds of the same tree, on the
# demo model (generate, inpaint, and a 40 px outpaint in several windows), for
# the README's Windows section.  Needs build/ (OpenBLAS), build-win-ref/ (the
# portable SGEMM, as var.exe) and build-win/ (scripts/run-tests.sh makes them).
# Runs are interleaved, REPEATS of each (default 3); prints each build's median
# wall time and var.exe's ratio to both Linux builds.  Usage: wine-speed.sh [REPEATS]
set -eu
cd "$(dirname "$0")/.."
repeats=${1:-3}
root=$PWD
export WINEPREFIX="$root/build-win/wineprefix" WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
wineserver -p 60 >/dev/null 2>&1 || true   # one server for all runs: no start-up per run
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"; wineserver -k 2>/dev/null || true' EXIT
lscpu | grep 'Model name' || true
for threads in 1 2; do
  for cmd in "generate --class 3 --seed 0" \
             "inpaint $root/models/demo/example.png --mask $root/models/demo/mask.png --seed 3" \
             "outpaint $root/models/demo/example.png --extend 40 --seed 2"; do
    : > "$tmp/times"
    r=0
    while [ $r -lt "$repeats" ]; do
      for b in openblas portable wine; do
        case $b in
          openblas) exe="$root/build/tools/var" ;;
          portable) exe="$root/build-win-ref/tools/var" ;;
          wine) exe="wine $root/build-win/tools/var.exe" ;;
        esac
        t0=$(date +%s.%N)
        # shellcheck disable=SC2086
        (cd "$tmp" && VAR_THREADS=$threads $exe $cmd --model-dir "$root/models/demo" --out out.png -q \
          >/dev/null 2>&1 </dev/null)
        t1=$(date +%s.%N)
        echo "$b $(echo "$t1 - $t0" | bc)" >> "$tmp/times"
      done
      r=$((r + 1))
    done
    python3 - "$tmp/times" "$threads" "${cmd%% *}" <<'PY'
import statistics, sys
t = {}
for line in open(sys.argv[1]):
    b, s = line.split()
    t.setdefault(b, []).append(float(s))
m = {b: statistics.median(v) for b, v in t.items()}
print(f"{sys.argv[3]:9s} threads={sys.argv[2]}: Linux OpenBLAS {m['openblas']:.2f} s, Linux portable SGEMM "
      f"{m['portable']:.2f} s, var.exe under Wine {m['wine']:.2f} s; ratio {m['wine'] / m['portable']:.2f} "
      f"(same SGEMM), {m['wine'] / m['openblas']:.2f} (OpenBLAS)")
PY
  done
done
