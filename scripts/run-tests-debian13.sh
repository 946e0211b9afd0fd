#!/bin/sh
# The suites that need Debian 13 (GIMP 3.0, Krita 5.2, PyQt6), run inside the
# root of scripts/debian13-root.sh:
#   sh scripts/debian13-root.sh run sh scripts/run-tests-debian13.sh
# Builds into build-d13 (beside the host's build/) and runs the meson suites
# named in D13_SUITES; their testlog is counted by scripts/summarize-tests.py.
set -u
cd "$(dirname "$0")/.." || exit 1
export OPENBLAS_NUM_THREADS=2
rm -f build-d13/meson-logs/testlog.json  # a run that stops early must not count an old log
# GIMP 3 (3.0.4: the plug-in built for libgimp-3.0, issue 16) and Krita 5.2
D13_SUITES="${D13_SUITES:-gimp krita}"
FEATURES="-Dopencl=disabled -Dgimp=enabled -Dkrita=enabled -Dblas=enabled -Dpng=enabled"
if [ ! -f build-d13/build.ninja ]; then
  # shellcheck disable=SC2086
  meson setup build-d13 $FEATURES || exit 1
else
  # shellcheck disable=SC2086
  meson configure build-d13 $FEATURES || exit 1
fi
ninja -C build-d13 || exit 1
args=""
for s in $D13_SUITES; do args="$args --suite $s"; done
# shellcheck disable=SC2086
exec meson test -C build-d13 -v --num-processes 2 $args
