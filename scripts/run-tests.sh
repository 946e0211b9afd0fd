#!/bin/sh
# The test command: installs dependencies, builds, runs every suite and prints
# "tests: N passed, N failed".  Exit status is non-zero on any failure.
set -u
cd "$(dirname "$0")/.." || exit 1
sh scripts/install-deps.sh || exit 1
export OPENBLAS_NUM_THREADS=2 POCL_CACHE_DIR="$PWD/build/pocl-cache"
if [ ! -f build/build.ninja ]; then
  meson setup build || exit 1
fi
ninja -C build || exit 1
meson test -C build -v --num-processes 2
rc=$?
python3 scripts/summarize-tests.py build/meson-logs/testlog.json || rc=1
exit $rc
