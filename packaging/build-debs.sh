#!/usr/bin/env bash
# Builds the Debian packages bantin-controller and bantin-player (docs/packaging.md):
# a Release build without tests or benchmarks in build/packages, then CPack's DEB generator.
# Nothing is downloaded: the build needs the packages scripts/install-deps.sh lists.
#
#   packaging/build-debs.sh                 # -> build/packages/bantin-*_<version>-1_<arch>.deb
#   BUILD_DIR=/tmp/b JOBS=1 packaging/build-debs.sh
#
# Then, on the server or device: apt install ./bantin-controller_*.deb (or ./bantin-player_*.deb)
set -euo pipefail
source_dir=$(cd "$(dirname "$0")/.." && pwd)
build_dir=${BUILD_DIR:-$source_dir/build/packages}
jobs=${JOBS:-$(nproc)}

for tool in cmake cpack dpkg-deb dpkg-shlibdeps; do
    command -v "$tool" >/dev/null || { echo "build-debs: $tool is not installed" >&2; exit 1; }
done
generator=()
if command -v ninja >/dev/null; then generator=(-G Ninja); fi

cmake -S "$source_dir" -B "$build_dir" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release \
      -DBANTIN_BUILD_TESTS=OFF -DBANTIN_BUILD_BENCH=OFF -DBANTIN_FUZZ=OFF -DBANTIN_SANITIZE=OFF \
      -DBANTIN_INSTALL_SYSTEM_FILES=ON >/dev/null
cmake --build "$build_dir" -j "$jobs" --target bantin bantin-controller bantin-player
rm -f "$build_dir"/bantin-*.deb
(cd "$build_dir" && cpack -G DEB --config CPackConfig.cmake -B "$build_dir" >/dev/null)
for deb in "$build_dir"/bantin-*.deb; do
    echo "$deb ($(du -h "$deb" | cut -f1))"
done
