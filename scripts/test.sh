#!/usr/bin/env bash
# Installs what is missing, checks the layout (.clang-format), builds with -Werror, and runs every
# test; then runs the unit tests again under AddressSanitizer + UndefinedBehaviorSanitizer and
# fuzzes the wire decoders. Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh

jobs=$(nproc)
started=$SECONDS
stage() { echo "== $1 ($(( (SECONDS - started) / 60 )) min in)"; }
stage "layout (.clang-format)"
bash scripts/format.sh --check
stage "build (warnings are errors)"
# Line tables (-g1) keep backtraces readable and build a third faster than full debug info.
# A unity build: each batch of a target's sources compiles as one file, so the heavy headers
# (Catch, nlohmann-json, spdlog, cpp-httplib) are parsed once per batch instead of once per
# source: 716 s of compiler time instead of 1,288 s. The fuzz build below still compiles the
# wire decoders one source at a time.
cmake -S . -B build/ci -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBANTIN_WERROR=ON -DCMAKE_UNITY_BUILD=ON \
      "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O2 -g1 -DNDEBUG" >/dev/null
cmake --build build/ci -j "$jobs"

# The sanitizer and fuzz builds run beside the tests, at the lowest CPU priority: most tests wait
# on processes, sockets and real-time playback, and the compilers take only the CPU they leave.
# Their own process group, so that a failing test stage stops them too.
side_log="$PWD/build/side-builds.log"
mkdir -p build
setsid bash -c '
  set -euo pipefail
  jobs=$1
  # A unity build: each batch of sources compiles as one file, so the heavy headers (Catch,
  # nlohmann-json, spdlog, cpp-httplib) are parsed once per batch instead of once per source.
  # Line tables (-g1) are all a sanitizer report needs for file:line in its stacks.
  nice -n 19 cmake -S . -B build/sanitize -G Ninja -DCMAKE_BUILD_TYPE=Debug -DBANTIN_WERROR=ON \
        -DBANTIN_SANITIZE=ON -DBANTIN_BUILD_BENCH=OFF -DBANTIN_INTEGRATION_TESTS=OFF -DCMAKE_UNITY_BUILD=ON \
        -DCMAKE_CXX_FLAGS_DEBUG=-g1 >/dev/null
  nice -n 19 cmake --build build/sanitize -j "$jobs"
  CC=clang-16 CXX=clang++-16 nice -n 19 cmake -S . -B build/fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
        -DBANTIN_FUZZ=ON -DBANTIN_BUILD_TESTS=OFF -DBANTIN_BUILD_BENCH=OFF >/dev/null
  nice -n 19 cmake --build build/fuzz -j "$jobs" --target fuzz_envelope fuzz_messages
' side-builds "$jobs" >"$side_log" 2>&1 &
side_builds=$!
trap 'kill -- -"$side_builds" 2>/dev/null || true' EXIT

stage "all tests (the sanitizer and fuzz builds beside them, niced)"
# The fault suite (label reliability) appends one line per fault to this table.
report="$PWD/build/ci/reliability-table.txt"
rm -f "$report"
# One test more than cores: most tests wait on processes, sockets and real-time playback (at
# -j2 on 2 cores about half the CPU sat idle; -j3 ran the whole suite in 4m44 instead of 6m30).
test_jobs=$((jobs + 1))
BANTIN_RELIABILITY_REPORT="$report" \
  ctest --test-dir build/ci --output-on-failure -j "$test_jobs" --timeout 300 | tee build/ci/ctest.log
echo "== fault suite (docs/reliability.md): proof rows per (device, install epoch, seq)"
printf '%-44s%6s%10s%8s%6s%9s%13s%13s\n' fault count expected found lost doubled interrupted recovery_ms
cat "$report" 2>/dev/null || echo "(no fault-suite lines: the reliability tests did not run)"

stage "sanitizer and fuzz builds (finishing)"
if ! wait "$side_builds"; then
  tail -n 60 "$side_log"
  echo "the sanitizer or fuzz build failed (whole log: $side_log)"
  exit 1
fi
trap - EXIT
tail -n 2 "$side_log"

stage "unit tests under ASan+UBSan"
# The release pass above runs 1,000 property cases per invariant; 200 suffice under sanitizers.
BANTIN_PROPERTY_CASES=200 ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build/sanitize --output-on-failure -j "$test_jobs" -L unit --timeout 600 | tee build/sanitize/ctest.log

stage "fuzz the wire decoders (libFuzzer, ${BANTIN_FUZZ_SECONDS:-30} s per target, side by side)"
fuzz_targets=(envelope messages)
declare -A fuzz_pid
for target in "${fuzz_targets[@]}"; do
  mkdir -p "build/fuzz/corpus/$target"
  "build/fuzz/fuzz/fuzz_$target" -max_total_time="${BANTIN_FUZZ_SECONDS:-30}" -print_final_stats=1 \
    "build/fuzz/corpus/$target" "fuzz/corpus/$target" >"build/fuzz/fuzz_$target.log" 2>&1 &
  fuzz_pid[$target]=$!
done
fuzz_failed=0
for target in "${fuzz_targets[@]}"; do
  if wait "${fuzz_pid[$target]}"; then
    tail -n 12 "build/fuzz/fuzz_$target.log"
  else
    tail -n 40 "build/fuzz/fuzz_$target.log"
    echo "fuzz_$target found a crash"
    fuzz_failed=1
  fi
done
[[ $fuzz_failed -eq 0 ]] || exit 1
count() { sed -n 's/.*tests passed, 0 tests failed out of \([0-9]*\).*/\1/p' "$1"; }
echo "tests: $(( $(count build/ci/ctest.log) + $(count build/sanitize/ctest.log) )) passed, 0 failed ($(( (SECONDS - started) / 60 )) min)"
