#!/usr/bin/env bash
# Installs every Debian package Bantin needs to build, run and test.
# Idempotent: installs only what is missing, and runs `apt-get update` only when
# something is missing. Needs root (or sudo) on Debian 12.
set -euo pipefail

packages=(
  # toolchain
  build-essential cmake pkg-config ninja-build clang-16 libclang-rt-16-dev
  # libraries
  libsdl2-dev libsdl2-ttf-dev libmpv-dev libmosquitto-dev libsqlite3-dev
  libspdlog-dev catch2 nlohmann-json3-dev libtomlplusplus-dev libcpp-httplib-dev
  libcurl4-openssl-dev libsodium-dev libhowardhinnant-date-dev libcli11-dev
  libexpat1-dev
  # runtime tools: broker, text-to-speech, media, fonts, time zones, crypto checks
  mosquitto mosquitto-clients espeak-ng mpv ffmpeg sox openssl tzdata
  fonts-dejavu-core sqlite3 curl xvfb x11-apps imagemagick python3
)

missing=()
for package in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$package")
done

if ((${#missing[@]} == 0)); then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

sudo_cmd=()
if [[ $(id -u) -ne 0 ]]; then sudo_cmd=(sudo); fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"

# The Debian package enables a system broker; Bantin starts its own brokers.
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet mosquitto 2>/dev/null; then
  "${sudo_cmd[@]}" systemctl disable --now mosquitto >/dev/null 2>&1 || true
fi
