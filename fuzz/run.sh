#!/bin/sh
# fuzz/run.sh [SECONDS] [libFuzzer options...] — fuzzes the checkpoint reader
# for SECONDS (default 60) with ASan + UBSan, at the lowest CPU priority.
#
# Builds build-fuzz/ (clang, -Dfuzzer=true) when missing.  The committed seeds
# in fuzz/corpus/ are read but never written; new inputs go to
# build-fuzz/corpus/, crashes to build-fuzz/artifacts/.  To reproduce one:
#   build-fuzz/fuzz/fuzz_checkpoint build-fuzz/artifacts/crash-...
# Exit status: libFuzzer's (non-zero when it found something).
set -eu
cd "$(dirname "$0")/.."
secs=${1:-60}
[ $# -gt 0 ] && shift
if [ ! -f build-fuzz/build.ninja ]; then
  CC=clang meson setup build-fuzz -Dfuzzer=true -Dtests=false -Db_sanitize=address,undefined -Db_lundef=false \
    -Dopencl=disabled -Dgimp=disabled -Dkrita=disabled -Dpng=disabled
fi
ninja -C build-fuzz fuzz/fuzz_checkpoint
mkdir -p build-fuzz/corpus build-fuzz/artifacts
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}"
exec nice -n 19 build-fuzz/fuzz/fuzz_checkpoint build-fuzz/corpus fuzz/corpus \
  -dict=fuzz/checkpoint.dict -max_total_time="$secs" -max_len=16384 -timeout=10 -rss_limit_mb=2048 \
  -artifact_prefix=build-fuzz/artifacts/ -print_final_stats=1 "$@"
