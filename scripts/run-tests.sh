#!/bin/sh
# The test command: installs dependencies, builds, runs every suite and prints
# "tests: N passed, N failed".  Exit status is non-zero on any failure.
set -u
cd "$(dirname "$0")/.." || exit 1
sh scripts/install-deps.sh || exit 1
export OPENBLAS_NUM_THREADS=2 POCL_CACHE_DIR="$PWD/build/pocl-cache"
# Every feature is required here, so a missing dependency fails the run
# instead of silently dropping its tests.
FEATURES="-Dopencl=enabled -Dgimp=enabled -Dkrita=enabled -Dblas=enabled -Dpng=enabled"
if [ ! -f build/build.ninja ]; then
  # shellcheck disable=SC2086
  meson setup build $FEATURES || exit 1
else
  # shellcheck disable=SC2086
  meson configure build $FEATURES || exit 1
fi
ninja -C build || exit 1
meson test -C build -v --num-processes 2
rc=$?
sh scripts/debian13-root.sh run sh scripts/run-tests-debian13.sh || rc=1
# Every suite once more under ASan + UBSan (+ LeakSanitizer): hostile files,
# images and limits must fail cleanly with no overread, undefined behaviour or
# leak.  (The cli suite's address-space sweep cannot run there: ASan reserves
# terabytes of shadow memory.)
if [ ! -f build-asan/build.ninja ]; then
  meson setup build-asan -Db_sanitize=address,undefined -Db_lundef=false \
    -Dopencl=disabled -Dgimp=disabled -Dkrita=disabled -Dpng=enabled || exit 1
else
  meson configure build-asan -Dpng=enabled || exit 1
fi
if ninja -C build-asan; then
  meson test -C build-asan --no-rebuild -v --num-processes 2 || rc=1
else
  rc=1
fi
# The concurrency suite under ThreadSanitizer, with the portable SGEMM
# (OpenBLAS is not instrumented: its own locks would read as races).
if [ ! -f build-tsan/build.ninja ]; then
  meson setup build-tsan -Db_sanitize=thread -Db_lundef=false -Dblas=disabled \
    -Dopencl=disabled -Dgimp=disabled -Dkrita=disabled -Dpng=disabled || exit 1
fi
if ninja -C build-tsan tests/test_threads; then
  meson test -C build-tsan --no-rebuild -v threads || rc=1
else
  rc=1
fi
# The fuzzers (clang libFuzzer, ASan + UBSan) for a fixed short time on the
# committed seeds: 60 s on the checkpoint reader, 30 s on the PNG reader.
if [ ! -f build-fuzz/build.ninja ]; then
  CC=clang meson setup build-fuzz -Dfuzzer=true -Db_sanitize=address,undefined -Db_lundef=false \
    -Dopencl=disabled -Dgimp=disabled -Dkrita=disabled -Dpng=enabled -Dtests=false || exit 1
fi
if ninja -C build-fuzz fuzz/fuzz_checkpoint fuzz/fuzz_png; then
  meson test -C build-fuzz --no-rebuild -v fuzz_checkpoint fuzz_png || rc=1
else
  rc=1
fi
# Windows: the MinGW-w64 cross build (cross/x86_64-w64-mingw32.txt) and its
# tests under Wine -- the CUnit suites that need no GIMP, Krita or OpenCL, and
# cli-parity: var.exe against build-win-ref/tools/var, a Linux build of the same
# tree with the same portable SGEMM (OpenBLAS adds in another order).  CUnit and
# libpng come from Debian's source packages (scripts/fetch-win-sources.sh).
win_logs=""
if sh scripts/fetch-win-sources.sh; then
  [ -f build-win-ref/build.ninja ] || meson setup build-win-ref -Dblas=disabled -Dpng=enabled -Dopencl=disabled \
    -Dgimp=disabled -Dkrita=disabled -Dtests=false || rc=1
  [ -f build-win/build.ninja ] || meson setup build-win --cross-file cross/x86_64-w64-mingw32.txt \
    -Dnative_var="$PWD/build-win-ref/tools/var" -Dblas=disabled -Dpng=enabled -Dopencl=disabled -Dgimp=disabled \
    -Dkrita=disabled || rc=1
  if ninja -C build-win-ref tools/var && ninja -C build-win; then
    # the Wine prefix first, alone, so that parallel first runs do not race to make it
    WINEPREFIX="$PWD/build-win/wineprefix" WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml=" wine wineboot -i \
      >/dev/null 2>&1
    meson test -C build-win --no-rebuild -v --num-processes 2 || rc=1
    # Wine's server and its service processes stay behind otherwise
    WINEPREFIX="$PWD/build-win/wineprefix" wineserver -k 2>/dev/null || true
    win_logs=build-win/meson-logs/testlog.json
  else
    rc=1
  fi
else
  echo "scripts/fetch-win-sources.sh failed: no Windows build" >&2
  rc=1
fi
# shellcheck disable=SC2086
python3 scripts/summarize-tests.py build/meson-logs/testlog.json build-asan/meson-logs/testlog.json \
  build-d13/meson-logs/testlog.json build-tsan/meson-logs/testlog.json build-fuzz/meson-logs/testlog.json \
  $win_logs || rc=1
exit $rc
