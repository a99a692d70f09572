#!/usr/bin/env bash
# Installs what is missing, builds, and runs the main job on its embedded defaults: the whole
# system on this machine (bantin-controller with its own Mosquitto on 127.0.0.1, the demo town's
# people, media and approved campaigns, two screen and two speaker players), in the foreground
# until Ctrl-C. Data and logs under ./var/demo/ (kept between runs). See docs/demo.md.
#
#   scripts/demo.sh                  run the demo (a screen player in a window if DISPLAY is set)
#   scripts/demo.sh --window         force the window for the first screen player
#   scripts/demo.sh --check          smoke test: up, every player applied + proved a play, down
#   scripts/demo.sh --schedule-only  print the demo town's schedule and conflicts (no daemons)
#
# BANTIN_DEMO_BUILD_DIR: build directory (default build/release); BANTIN_DEMO_SKIP_BUILD=1
# skips install and build (binaries must be there already).
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${BANTIN_DEMO_BUILD_DIR:-build/release}

schedule_only=0
for argument in "$@"; do
  [[ "$argument" == "--schedule-only" ]] && schedule_only=1
done

if [[ "${BANTIN_DEMO_SKIP_BUILD:-0}" != 1 ]]; then
  bash scripts/install-deps.sh
  cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DBANTIN_BUILD_TESTS=OFF \
    -DBANTIN_BUILD_BENCH=OFF >/dev/null
  if ((schedule_only)); then
    cmake --build "$build_dir" -j "$(nproc)" --target bantin
  else
    cmake --build "$build_dir" -j "$(nproc)" --target bantin-controller bantin-player
  fi
fi

if ((schedule_only)); then
  day=${BANTIN_DEMO_DAY:-$(TZ=Asia/Ho_Chi_Minh date +%F)}
  for device in mh-uyen-hung-ubnd loa-bach-dang-ap1; do
    "./$build_dir/apps/bantin" schedule --model demo/town.json --device "$device" --day "$day"
  done
  "./$build_dir/apps/bantin" conflicts --model demo/town.json --day "$day"
  exit 0
fi

args=()
for argument in "$@"; do
  [[ "$argument" == "--schedule-only" ]] || args+=("$argument")
done
exec python3 scripts/demo/bantin_demo.py --bin-dir "$build_dir/apps" "${args[@]+"${args[@]}"}"
