#!/usr/bin/env bash
# Checks the Debian packages bantin-controller and bantin-player (docs/packaging.md).
#
#   check_debs.sh --build-dir DIR [--work-dir DIR]   run cpack in a built tree, then check
#   check_debs.sh --debs DIR [--work-dir DIR]        check the .debs already in DIR
#
# Checks: control fields and Depends, the file list and modes, conffiles, maintainer scripts,
# the systemd units (directives, `systemd-analyze verify` when present), lintian when
# installed; then unpacks both into a throw-away root (dpkg -x, never the real system), checks
# the shipped configs with the unpacked binaries and runs the unpacked controller on the
# shipped config (data dir and ports moved into the work dir) to see it serve the packaged web
# console and log in the first admin. Exit 0 when every check passes, 1 otherwise.
set -uo pipefail

build_dir=""
debs_dir=""
work_dir=""
while (($#)); do
    case "$1" in
        --build-dir) build_dir=$2; shift 2 ;;
        --debs) debs_dir=$2; shift 2 ;;
        --work-dir) work_dir=$2; shift 2 ;;
        *) echo "usage: $0 (--build-dir DIR | --debs DIR) [--work-dir DIR]" >&2; exit 2 ;;
    esac
done
[[ -n "$build_dir" || -n "$debs_dir" ]] || { echo "$0: --build-dir or --debs is required" >&2; exit 2; }
work_dir=${work_dir:-$(mktemp -d)}
rm -rf "$work_dir"
mkdir -p "$work_dir"
work_dir=$(cd "$work_dir" && pwd)

failures=0
pass() { echo "ok: $*"; }
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
check() {  # check DESCRIPTION COMMAND...
    local description=$1; shift
    if "$@"; then pass "$description"; else fail "$description"; fi
}

# --- the packages ------------------------------------------------------------------------
started=$SECONDS
if [[ -n "$build_dir" ]]; then
    for executable in apps/bantin apps/bantin-controller apps/bantin-player; do
        [[ -x "$build_dir/$executable" ]] || { echo "FAIL: $build_dir/$executable is not built"; exit 1; }
    done
    debs_dir="$work_dir/debs"
    if ! cpack -G DEB --config "$build_dir/CPackConfig.cmake" -B "$debs_dir" >"$work_dir/cpack.log" 2>&1; then
        cat "$work_dir/cpack.log"
        echo "FAIL: cpack"
        exit 1
    fi
    echo "cpack: $((SECONDS - started)) s"
fi
controller_deb=$(ls "$debs_dir"/bantin-controller_*.deb 2>/dev/null | head -n 1)
player_deb=$(ls "$debs_dir"/bantin-player_*.deb 2>/dev/null | head -n 1)
[[ -f "$controller_deb" && -f "$player_deb" ]] || { echo "FAIL: no bantin-controller/bantin-player .deb in $debs_dir"; exit 1; }
for deb in "$controller_deb" "$player_deb"; do echo "package: $deb ($(stat -c %s "$deb") bytes)"; done

field() { dpkg-deb --field "$1" "$2"; }
depends_list() { field "$1" Depends | tr ',' '\n' | sed 's/^ *//; s/ .*//' | sort -u; }
has_dependency() { depends_list "$1" | grep -qx "$2"; }

# --- control fields ----------------------------------------------------------------------
check "controller: Package is bantin-controller" test "$(field "$controller_deb" Package)" = bantin-controller
check "player: Package is bantin-player" test "$(field "$player_deb" Package)" = bantin-player
for deb in "$controller_deb" "$player_deb"; do
    name=$(field "$deb" Package)
    check "$name: Architecture is this machine's ($(dpkg --print-architecture))" \
        test "$(field "$deb" Architecture)" = "$(dpkg --print-architecture)"
    check "$name: has a Maintainer" test -n "$(field "$deb" Maintainer)"
    check "$name: has a Description with a long part" test "$(field "$deb" Description | wc -l)" -ge 2
    # dpkg-shlibdeps ran: the C library and the C++ runtime are there with versions.
    check "$name: Depends on libc6 from dpkg-shlibdeps" bash -c "dpkg-deb --field '$deb' Depends | grep -q 'libc6 (>= '"
    check "$name: Depends on libstdc++6" has_dependency "$deb" libstdc++6
    check "$name: Depends on adduser (postinst)" has_dependency "$deb" adduser
    # Every package named is a real Debian package (all are installed on a build machine).
    for package in $(depends_list "$deb"); do
        check "$name: dependency $package is installed here (or provided by an installed package)" \
            bash -c "dpkg-query -W -f='\${Status}|\${Package} \${Provides}\n' |
                     grep '^install ok installed|' | tr ',|' '  ' | grep -qw -- '$package'"
    done
done
for package in nginx mosquitto espeak-ng ffmpeg libsodium23 libmosquitto1 libsqlite3-0 libpq5; do
    check "controller: Depends on $package" has_dependency "$controller_deb" "$package"
done
for package in fonts-noto-core fonts-dejavu-core espeak-ng libmpv2 libsdl2-2.0-0 libsdl2-ttf-2.0-0 libqrencode4 libsodium23 libmosquitto1; do
    check "player: Depends on $package" has_dependency "$player_deb" "$package"
done
check "player: does not depend on the controller's tools" \
    bash -c "! dpkg-deb --field '$player_deb' Depends | grep -Eq 'mosquitto,|mosquitto\$|ffmpeg'"

# --- files -------------------------------------------------------------------------------
contents() { dpkg-deb --contents "$1" | awk '{print $1, $2, $6}' | sed 's| \./| /|; s|/$||'; }
has_file() {  # has_file DEB MODE PATH
    contents "$1" | grep -qx -- "$2 root/root $3"
}
controller_files=(
    "-rwxr-xr-x /usr/bin/bantin-controller" "-rwxr-xr-x /usr/bin/bantin"
    "-rw-r--r-- /usr/share/bantin/web/index.html" "-rw-r--r-- /usr/share/bantin/web/app.js"
    "-rw-r--r-- /usr/share/bantin/web/style.css" "-rw-r--r-- /etc/bantin/controller.toml"
    "-rw-r--r-- /lib/systemd/system/bantin-controller.service"
    "-rw-r--r-- /usr/share/doc/bantin-controller/packaging.md")
player_files=(
    "-rwxr-xr-x /usr/bin/bantin-player" "-rw-r--r-- /etc/bantin/player.toml"
    "-rw-r--r-- /lib/systemd/system/bantin-player.service"
    "-rw-r--r-- /usr/share/doc/bantin-player/packaging.md")
for entry in "${controller_files[@]}"; do
    check "controller: ships ${entry#* } (${entry%% *}, root)" has_file "$controller_deb" "${entry%% *}" "${entry#* }"
done
for entry in "${player_files[@]}"; do
    check "player: ships ${entry#* } (${entry%% *}, root)" has_file "$player_deb" "${entry%% *}" "${entry#* }"
done
# Every file of the web console is shipped.
for source in "$(dirname "$0")"/../../web/*; do
    check "controller: ships web/$(basename "$source")" has_file "$controller_deb" -rw-r--r-- \
        "/usr/share/bantin/web/$(basename "$source")"
done
for deb in "$controller_deb" "$player_deb"; do
    name=$(field "$deb" Package)
    check "$name: every path is under /usr, /etc/bantin or /lib/systemd/system" \
        bash -c "dpkg-deb --contents '$deb' | awk '{print \$6}' | sed 's|^\./|/|' |
                 grep -Ev '^/(\$|usr/|etc/\$|etc/bantin/|lib/\$|lib/systemd/\$|lib/systemd/system/)' | { ! grep .; }"
    check "$name: every file belongs to root" \
        bash -c "dpkg-deb --contents '$deb' | awk '{print \$2}' | grep -vx root/root | { ! grep .; }"
done
check "controller: does not ship the player" bash -c "! dpkg-deb --contents '$controller_deb' | grep -q bantin-player"
check "player: does not ship the controller or the CLI" \
    bash -c "! dpkg-deb --contents '$player_deb' | grep -Eq 'bin/bantin-controller|bin/bantin\$|share/bantin/web'"


# --- control files: conffiles, maintainer scripts ----------------------------------------
control="$work_dir/control"
mkdir -p "$control"
dpkg-deb --control "$controller_deb" "$control/controller"
dpkg-deb --control "$player_deb" "$control/player"
check "controller: conffiles is exactly /etc/bantin/controller.toml" \
    test "$(cat "$control/controller/conffiles")" = /etc/bantin/controller.toml
check "player: conffiles is exactly /etc/bantin/player.toml" \
    test "$(cat "$control/player/conffiles")" = /etc/bantin/player.toml
for component in controller player; do
    for script in postinst prerm postrm; do
        file="$control/$component/$script"
        check "$component: $script is executable (0755)" test "$(stat -c %a "$file")" = 755
        check "$component: $script is valid sh" sh -n "$file"
        if command -v shellcheck >/dev/null; then
            check "$component: $script passes shellcheck" shellcheck -s sh "$file"
        fi
    done
done
joined() { sed -e ':a' -e '/\\$/N; s/\\\n *//; ta' "$1"; }  # continuation lines joined
check "controller: postinst makes the bantin system user" \
    bash -c "$(declare -f joined); joined '$control/controller/postinst' |
             grep -Eq 'adduser --system --group --home /var/lib/bantin .* bantin( |\$)'"
check "controller: postinst makes /var/lib/bantin 0750 and its keys/ 0700, owned by bantin" \
    bash -c "grep -q 'install -d -o bantin -g bantin -m 0750 /var/lib/bantin\$' '$control/controller/postinst' &&
             grep -q 'install -d -o bantin -g bantin -m 0700 /var/lib/bantin/keys\$' '$control/controller/postinst'"
check "controller: postinst sets no password (only prints how to create the first admin)" \
    bash -c "! grep -Eq 'chpasswd|usermod|--password|\|[^|]*--create-admin' '$control/controller/postinst'"
# The commands the postinst tells the operator to run exist in the packaged controller.
unpacked="$work_dir/root"
mkdir -p "$unpacked"
dpkg-deb -x "$controller_deb" "$unpacked"
dpkg-deb -x "$player_deb" "$unpacked"
for executable in bantin-controller bantin bantin-player; do
    check "$executable: stripped (no .symtab)" \
        bash -c "! readelf -S '$unpacked/usr/bin/$executable' | grep -q '\.symtab'"
done
# The usage goes through a file: its text may hold quotes ("this controller's broker").
"$unpacked/usr/bin/bantin-controller" --help >"$work_dir/controller-usage.txt" 2>&1 || true
for option in --init-keys --create-admin; do
    check "controller: postinst's $option is an option of the packaged bantin-controller" \
        bash -c "grep -q -- '$option' '$control/controller/postinst' && grep -q -- '$option' '$work_dir/controller-usage.txt'"
done
check "player: postinst makes the bantin-player system user" \
    bash -c "$(declare -f joined); joined '$control/player/postinst' |
             grep -Eq 'adduser --system --group --home /var/lib/bantin-player .* bantin-player( |\$)'"
check "player: postinst adds bantin-player to audio, video and render" \
    grep -q 'for group in audio video render' "$control/player/postinst"
check "player: the postinst's device add command matches the CLI (bantin device add --out)" \
    bash -c "'$unpacked/usr/bin/bantin' device add --help | grep -q -- '--out'"

# The postinsts run against shims (adduser, getent, install, systemctl log their arguments
# and change nothing), as on a fresh install and on an upgrade.
shims="$work_dir/shims"
mkdir -p "$shims"
for tool in adduser install systemctl; do
    printf '#!/bin/sh\necho "%s $*" >>"%s/calls"\n' "$tool" "$shims" >"$shims/$tool"
done
printf '#!/bin/sh\n[ "$1" = group ] && [ "$2" != render ]\n' >"$shims/getent"  # no users; no render group
chmod +x "$shims"/*
run_postinst() {  # run_postinst COMPONENT ARGS... -> output in $work_dir/postinst.out, calls in $shims/calls
    rm -f "$shims/calls"
    PATH="$shims:$PATH" sh "$control/$1/postinst" "${@:2}" >"$work_dir/postinst.out" 2>&1
}
calls() { cat "$shims/calls" 2>/dev/null; }
check "controller: postinst configure (fresh install) succeeds" run_postinst controller configure
check "controller: fresh install adds the system user bantin" \
    bash -c "grep -qx 'adduser --system --group --home /var/lib/bantin --no-create-home --comment Bantin controller bantin' '$shims/calls'"
check "controller: fresh install prints the first-run steps with --init-keys and --create-admin" \
    bash -c "grep -q -- '--init-keys' '$work_dir/postinst.out' && grep -q -- '--create-admin NAME' '$work_dir/postinst.out'"
check "controller: postinst configure OLD-VERSION (upgrade) prints no first-run steps" \
    bash -c "PATH='$shims:$PATH' sh '$control/controller/postinst' configure 0.0.9-1 | { ! grep -q 'First run'; }"
check "player: postinst configure (fresh install) succeeds" run_postinst player configure
check "player: adds bantin-player to audio and video, skips a missing render group" \
    bash -c "grep -qx 'adduser --quiet bantin-player audio' '$shims/calls' &&
             grep -qx 'adduser --quiet bantin-player video' '$shims/calls' &&
             ! grep -q 'bantin-player render' '$shims/calls'"
check "player: fresh install prints how to install the provisioning file" \
    grep -q 'install -o bantin-player -g bantin-player -m 0600 DEVICE-ID.json /etc/bantin/provisioning.json' \
    "$work_dir/postinst.out"
check "controller: postinst abort-upgrade does nothing" \
    bash -c "rm -f '$shims/calls'; PATH='$shims:$PATH' sh '$control/controller/postinst' abort-upgrade && [ ! -s '$shims/calls' ]"

# --- systemd units -----------------------------------------------------------------------
controller_unit="$unpacked/lib/systemd/system/bantin-controller.service"
player_unit="$unpacked/lib/systemd/system/bantin-player.service"
has_line() { grep -qx "$2" "$1"; }
for line in "User=bantin" "StateDirectory=bantin" "NoNewPrivileges=true" "ProtectSystem=strict" \
            "ProtectHome=true" "PrivateTmp=true" "ReadWritePaths=/var/lib/bantin" \
            "ExecStart=/usr/bin/bantin-controller --config /etc/bantin/controller.toml" \
            "WantedBy=multi-user.target"; do
    check "controller unit: $line" has_line "$controller_unit" "$line"
done
for line in "User=bantin-player" "StateDirectory=bantin-player" "Restart=always" "NoNewPrivileges=true" \
            "ProtectSystem=strict" "ProtectHome=true" "PrivateTmp=true" "ReadWritePaths=/var/lib/bantin-player" \
            "ExecStart=/usr/bin/bantin-player --config /etc/bantin/player.toml" "WantedBy=multi-user.target"; do
    check "player unit: $line" has_line "$player_unit" "$line"
done
if command -v systemd-analyze >/dev/null; then
    # Verified with ExecStart pointing at the unpacked binaries; any warning is a failure.
    mkdir -p "$work_dir/units"
    for unit in "$controller_unit" "$player_unit"; do
        sed "s|=/usr/bin/|=$unpacked/usr/bin/|" "$unit" >"$work_dir/units/$(basename "$unit")"
        output=$(systemd-analyze verify --man=no "$work_dir/units/$(basename "$unit")" 2>&1)
        check "$(basename "$unit"): systemd-analyze verify is silent" test -z "$output"
        [[ -z "$output" ]] || echo "$output"
    done
else
    echo "skip: systemd-analyze is not installed; the units are not verified"
fi

# --- lintian -----------------------------------------------------------------------------
if command -v lintian >/dev/null; then
    for deb in "$controller_deb" "$player_deb"; do
        check "$(field "$deb" Package): lintian reports no errors" \
            bash -c "lintian --fail-on error --suppress-tags no-copyright-file '$deb'"
    done
else
    echo "skip: lintian is not installed (it is not in scripts/install-deps.sh: ~130 packages)"
fi

# --- the unpacked root -------------------------------------------------------------------
check "controller: the shipped /etc/bantin/controller.toml passes --check-config" \
    "$unpacked/usr/bin/bantin-controller" --check-config "$unpacked/etc/bantin/controller.toml"
check "player: the shipped /etc/bantin/player.toml passes --check-config" \
    "$unpacked/usr/bin/bantin-player" --check-config "$unpacked/etc/bantin/player.toml"
check "player: the shipped config names the documented provisioning file" \
    grep -qx 'provisioning_file = "/etc/bantin/provisioning.json"' "$unpacked/etc/bantin/player.toml"
check "player: the shipped font_file is the file fonts-noto-core installs" \
    bash -c "font=\$(sed -n 's/^font_file = \"\\(.*\\)\"/\\1/p' '$unpacked/etc/bantin/player.toml') &&
             dpkg -L fonts-noto-core | grep -qx \"\$font\""
check "player: the shipped bold_font_file is the file fonts-noto-core installs" \
    bash -c "font=\$(sed -n 's/^bold_font_file = \"\\(.*\\)\"/\\1/p' '$unpacked/etc/bantin/player.toml') &&
             dpkg -L fonts-noto-core | grep -qx \"\$font\""
check "controller: the shipped config's data_dir is the unit's state directory" \
    grep -qx 'data_dir = "/var/lib/bantin"' "$unpacked/etc/bantin/controller.toml"
check "player: the shipped config's state.dir is the unit's state directory" \
    grep -qx 'dir = "/var/lib/bantin-player"' "$unpacked/etc/bantin/player.toml"

# The unpacked controller on the shipped config: only the data directory, the ports and the
# device TLS listener (no certificates here) are changed. It must find and serve the packaged
# web console (<root>/usr/share/bantin/web, next to <root>/usr/bin) and log in the first admin.
if [[ ! -x /usr/sbin/mosquitto ]] || ! command -v curl >/dev/null; then
    echo "skip: /usr/sbin/mosquitto or curl is missing; the unpacked controller is not started"
else
    free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
    http_port=$(free_port)
    mqtt_port=$(free_port)
    data="$work_dir/data"
    config="$work_dir/controller.toml"
    sed -e "s|^data_dir = .*|data_dir = \"$data\"|" -e "s|^port = 8080\$|port = $http_port|" \
        -e "s|^port = 1884\$|port = $mqtt_port|" -e 's|^enabled = true$|enabled = false|' \
        -e "s|^public_base_url = .*|public_base_url = \"http://127.0.0.1:$http_port\"|" \
        "$unpacked/etc/bantin/controller.toml" >"$config"
    if [[ $(id -u) -eq 0 ]]; then  # Mosquitto started by root would drop to its own account
        sed -i 's|^max_queued_messages = [0-9]*$|&\nrun_as_user = "root"|' "$config"
        grep -qx 'run_as_user = "root"' "$config" ||
            { echo "FAIL: cannot place run_as_user in the [broker] table of $config"; exit 1; }
    fi
    controller="$unpacked/usr/bin/bantin-controller"
    check "controller: the adapted config passes --check-config" "$controller" --check-config "$config"
    check "controller: --init-keys on the shipped config" "$controller" --config "$config" --init-keys
    check "controller: --create-admin on the shipped config" \
        bash -c "echo 'packaging test password 1' | '$controller' --config '$config' --create-admin admin"
    "$controller" --config "$config" >"$work_dir/controller.log" 2>&1 &
    controller_pid=$!
    trap 'kill "$controller_pid" 2>/dev/null; wait "$controller_pid" 2>/dev/null' EXIT
    served=""
    for _ in $(seq 1 100); do
        served=$(curl -sf "http://127.0.0.1:$http_port/" 2>/dev/null) && break
        kill -0 "$controller_pid" 2>/dev/null || break
        sleep 0.1
    done
    check "controller: serves the packaged index.html at /" test "$served" = "$(cat "$unpacked/usr/share/bantin/web/index.html")"
    check "controller: logs that it serves the packaged web root" \
        grep -q "web console: serving $unpacked/usr/share/bantin/web" "$work_dir/controller.log"
    check "cli: the packaged bantin logs in the first admin" \
        bash -c "echo 'packaging test password 1' | '$unpacked/usr/bin/bantin' --server http://127.0.0.1:$http_port \
                 --token-file '$work_dir/token' login --user admin --password-stdin >/dev/null"
    check "cli: whoami names the admin" \
        bash -c "'$unpacked/usr/bin/bantin' --server http://127.0.0.1:$http_port --token-file '$work_dir/token' whoami | grep -q admin"
    kill "$controller_pid" 2>/dev/null
    wait "$controller_pid" 2>/dev/null
    check "controller: stops cleanly on SIGTERM" grep -q "stopped" "$work_dir/controller.log"
    trap - EXIT
    ((failures == 0)) || { echo "--- controller log"; cat "$work_dir/controller.log"; }
fi

echo "packaging: $((SECONDS - started)) s, $failures failed"
((failures == 0))
