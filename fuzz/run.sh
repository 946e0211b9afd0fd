#!/bin/sh
# fuzz/run.sh [SECONDS] [libFuzzer options...] — fuzzes the checkpoint reader
# for SECONDS (default 60) with ASan + UBSan, at the lowest CPU priority.
# fuzz/run.sh --coverage — line/branch coverage of the reader's files reached
# by the corpus so far (a separate, uninstrumented-for-ASan build).
#
# Builds build-fuzz/ (clang, -Dfuzzer=true) when missing.  The committed seeds
# in fuzz/corpus/ are read but never written; new inputs go to
# build-fuzz/corpus/, crashes to build-fuzz/artifacts/.  To reproduce one:
#   build-fuzz/fuzz/fuzz_checkpoint build-fuzz/artifacts/crash-...
# then keep it in tests/data/malformed/ with a case in test_malformed.c.
# Exit status: libFuzzer's (non-zero when it found something).
set -eu
cd "$(dirname "$0")/.."
features="-Dopencl=disabled -Dgimp=disabled -Dkrita=disabled -Dpng=disabled -Dtests=false"

if [ "${1:-}" = "--coverage" ]; then
  if [ ! -f build-fuzzcov/build.ninja ]; then
    # shellcheck disable=SC2086
    LLVM_PROFILE_FILE=/dev/null CC=clang meson setup build-fuzzcov -Dfuzzer=true $features \
      -Dc_args="-fprofile-instr-generate -fcoverage-mapping" -Dc_link_args="-fprofile-instr-generate"
  fi
  LLVM_PROFILE_FILE=/dev/null ninja -C build-fuzzcov fuzz/fuzz_checkpoint
  mkdir -p build-fuzz/corpus
  rm -f build-fuzzcov/fuzz.profraw
  LLVM_PROFILE_FILE=build-fuzzcov/fuzz.profraw build-fuzzcov/fuzz/fuzz_checkpoint -runs=0 \
    build-fuzz/corpus fuzz/corpus >/dev/null 2>&1
  llvm-profdata merge -o build-fuzzcov/fuzz.profdata build-fuzzcov/fuzz.profraw
  exec llvm-cov report build-fuzzcov/fuzz/fuzz_checkpoint -instr-profile=build-fuzzcov/fuzz.profdata \
    core/src/io/zip.c core/src/io/pickle.c core/src/io/ckpt.c core/src/io/json.c core/src/io/config.c
fi

secs=${1:-60}
[ $# -gt 0 ] && shift
if [ ! -f build-fuzz/build.ninja ]; then
  # shellcheck disable=SC2086
  CC=clang meson setup build-fuzz -Dfuzzer=true -Db_sanitize=address,undefined -Db_lundef=false $features
fi
ninja -C build-fuzz fuzz/fuzz_checkpoint
mkdir -p build-fuzz/corpus build-fuzz/artifacts
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}"
exec nice -n 19 build-fuzz/fuzz/fuzz_checkpoint build-fuzz/corpus fuzz/corpus \
  -dict=fuzz/checkpoint.dict -max_total_time="$secs" -max_len=16384 -timeout=10 -rss_limit_mb=2048 \
  -artifact_prefix=build-fuzz/artifacts/ -print_final_stats=1 "$@"
