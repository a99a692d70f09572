#!/usr/bin/env bash
# Installs what is missing, builds, and runs the main job on its embedded defaults.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release -DBANTIN_BUILD_TESTS=OFF >/dev/null
cmake --build build/release -j "$(nproc)"
day=${BANTIN_DEMO_DAY:-$(TZ=Asia/Ho_Chi_Minh date +%F)}
for device in scr-ben-nghe-01 spk-tan-an-01; do
  ./build/release/apps/bantin schedule --model demo/town.json --device "$device" --day "$day"
done
./build/release/apps/bantin conflicts --model demo/town.json --day "$day"
