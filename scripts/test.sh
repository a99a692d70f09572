#!/usr/bin/env bash
# Installs what is missing, builds with -Werror, and runs every test; then runs the unit
# tests again under AddressSanitizer + UndefinedBehaviorSanitizer. Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh

jobs=$(nproc)
echo "== build (warnings are errors)"
cmake -S . -B build/ci -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBANTIN_WERROR=ON >/dev/null
cmake --build build/ci -j "$jobs"
echo "== all tests"
ctest --test-dir build/ci --output-on-failure -j "$jobs" --timeout 300

echo "== unit tests under ASan+UBSan"
cmake -S . -B build/sanitize -G Ninja -DCMAKE_BUILD_TYPE=Debug -DBANTIN_WERROR=ON -DBANTIN_SANITIZE=ON \
      -DBANTIN_BUILD_BENCH=OFF >/dev/null
cmake --build build/sanitize -j "$jobs"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build/sanitize --output-on-failure -j "$jobs" -L unit --timeout 600
