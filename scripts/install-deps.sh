#!/usr/bin/env bash
# Installs every Debian package Bantin needs to build, run and test, and the browser
# test's npm package (tests/web, from its package-lock.json).
# Idempotent: installs only what is missing, and runs `apt-get update` only when
# something is missing. Needs root (or sudo) on Debian 12.
set -euo pipefail

packages=(
  # toolchain
  build-essential cmake pkg-config ninja-build clang-16 libclang-rt-16-dev clang-format-16
  # libraries
  libsdl2-dev libsdl2-ttf-dev libmpv-dev libmosquitto-dev libsqlite3-dev
  libspdlog-dev catch2 nlohmann-json3-dev libtomlplusplus-dev libcpp-httplib-dev
  libcurl4-openssl-dev libsodium-dev libhowardhinnant-date-dev libcli11-dev
  libexpat1-dev libpng-dev
  # the controller compresses its answers itself (brotli, gzip)
  libbrotli-dev zlib1g-dev
  # the QR code on a screen's header band: Debian's library made for QR codes
  libqrencode-dev
  # the province store (docs/scale.md): PostgreSQL's client library, and the server the tests
  # start in a temporary folder
  libpq-dev postgresql-15
  # runtime tools: broker, text-to-speech, media, fonts, time zones, crypto checks
  # nginx: the controller's HTTP front (docs/api.md); Debian 12's `nginx` holds the binary with
  # proxy, limit_conn, auth_request (nginx-light only adds the echo module to it)
  nginx mosquitto mosquitto-clients espeak-ng mpv ffmpeg sox openssl tzdata icecast2
  fonts-dejavu-core fonts-noto-core sqlite3 curl xvfb x11-apps imagemagick python3 libxml2-utils
  # the web console's browser test (tests/web): Node.js and Debian's Chromium
  nodejs chromium
)

missing=()
for package in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$package")
done

# Some Node.js builds bring npm with them; Debian's nodejs does not.
if ! command -v npm >/dev/null 2>&1; then missing+=(npm); fi

sudo_cmd=()
if [[ $(id -u) -ne 0 ]]; then sudo_cmd=(sudo); fi

if ((${#missing[@]} == 0)); then
  echo "install-deps: all ${#packages[@]} packages present"
else
  echo "install-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"

  # A service this run just installed and its package started is stopped: Bantin starts its own
  # brokers, its own nginx front, and the tests their own PostgreSQL servers. A service that was
  # there before (a province's live database, a broker in use) is left as it was.
  for service in mosquitto postgresql nginx; do
    package=$service
    [[ $service == postgresql ]] && package=postgresql-15
    if [[ " ${missing[*]} " == *" $package "* ]] && command -v systemctl >/dev/null 2>&1 &&
      systemctl is-active --quiet "$service" 2>/dev/null; then
      "${sudo_cmd[@]}" systemctl disable --now "$service" >/dev/null 2>&1 || true
    fi
  done
fi

# The browser test's playwright-core, exactly as package-lock.json pins it. playwright-core
# downloads no browser; the test runs Debian's /usr/bin/chromium.
web_tests="$(cd "$(dirname "$0")/.." && pwd)/tests/web"
if [[ ! -f "$web_tests/node_modules/.package-lock.json" ||
      "$web_tests/package-lock.json" -nt "$web_tests/node_modules/.package-lock.json" ]]; then
  echo "install-deps: npm ci in tests/web"
  (cd "$web_tests" && npm ci --no-audit --no-fund --loglevel=error)
fi
