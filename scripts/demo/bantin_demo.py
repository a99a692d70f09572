#!/usr/bin/env python3
"""Brings the whole Bantin system up on this machine: the demo town, live.

Starts bantin-controller (with the Mosquitto it manages, both on 127.0.0.1), seeds it the first
time with demo people, media and the campaigns of demo/town.json (adapted so that something
plays at any hour), approves them with a second person, registers demo devices (two screens,
two speakers), runs one bantin-player per device and stays in the foreground until Ctrl-C, then
stops everything.

Data lives in --data-dir (default ./var/demo) and is kept between runs: a second run reuses the
admin, the people, the media, the campaigns and the devices. Passwords are generated on the
first run and written once to <data-dir>/credentials.txt (mode 0600); there is no default
password.

--check brings the demo up in a fresh temporary directory, waits until every player has applied
its bundle and at least one proof-of-play row per device has reached the controller, stops
everything and exits 0 (1 on failure or timeout).

Python 3 standard library only. Called by scripts/demo.sh, which installs and builds first.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import secrets
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
TOWN = REPO / "demo" / "town.json"

NAMES = REPO / "demo" / "names.json"

# TX. Tân Uyên's names for people: its 12 communes and wards, its devices, and the text of its
# notices (spoken by espeak-ng on speakers, shown on screens). demo/town.json holds the schedule.
_NAMES = json.loads(NAMES.read_text())
ZONE_NAMES: dict[str, str] = _NAMES["zones"]
DEVICE_NAMES: dict[str, str] = _NAMES["devices"]
NOTICE_TEXTS: dict[str, str] = _NAMES["notices"]

# Every device of the town is registered (the console shows the district's whole fleet); these
# four run as players on this machine: the ward office screen of Uyên Hưng, the river-landing
# screen of the smart village Bạch Đằng, and a loudspeaker cluster in each.
DEMO_DEVICES = ["mh-uyen-hung-ubnd", "mh-bach-dang-ben-do", "loa-uyen-hung-kp1", "loa-bach-dang-ap1"]

# Demo people (the admin is created by bantin-controller --create-admin).
PEOPLE = [("editor", "Biên tập viên", "editor"),
          ("approver", "Người duyệt", "approver"),
          ("operator", "Trực ban", "operator"),
          ("operator2", "Trực ban 2", "operator")]


def log(message: str) -> None:
    print(f"demo: {message}", flush=True)


class DemoError(Exception):
    pass


# ---------------------------------------------------------------------------------- HTTP API

class Api:
    """A bearer session on the controller's JSON API."""

    def __init__(self, base_url: str, token: str | None = None):
        self.base_url = base_url
        self.token = token

    def call(self, method: str, path: str, body=None, raw: bytes | None = None, expect=(200, 201)):
        if raw is not None:
            data = raw
        elif body is not None:
            data = json.dumps(body).encode()
        else:  # the server refuses a POST without a body (no Content-Length) as malformed
            data = b"{}" if method == "POST" else None
        request = urllib.request.Request(self.base_url + path, data=data, method=method)
        request.add_header("Content-Type", "application/octet-stream" if raw is not None else "application/json")
        if self.token:
            request.add_header("Authorization", "Bearer " + self.token)
        try:
            with urllib.request.urlopen(request, timeout=120) as response:
                status, text = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, text = error.code, error.read()
        answer = json.loads(text) if text else None
        if expect is not None and status not in expect:
            raise DemoError(f"{method} {path} -> {status} {text.decode(errors='replace')}")
        return status, answer

    def login(self, name: str, password: str) -> "Api":
        _, answer = self.call("POST", "/api/v1/auth/login", {"name": name, "password": password}, expect=(200,))
        return Api(self.base_url, answer["token"])


# ---------------------------------------------------------------------------------- helpers

def free_port(preferred: int | None = None) -> int:
    if preferred:
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", preferred))
                return preferred
            except OSError:
                pass
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def port_accepts(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def write_private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as out:
        out.write(text)
    os.chmod(path, 0o600)


def run(arguments: list[str], stdin_text: str | None = None) -> str:
    done = subprocess.run(arguments, input=stdin_text, capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise DemoError(f"{' '.join(arguments[:3])} ...: {(done.stderr or done.stdout).strip()}")
    return done.stdout


def toml_string(value: str) -> str:
    return json.dumps(value)  # a JSON string is a valid TOML basic string for these paths


# ---------------------------------------------------------------------------------- the demo

class Demo:
    def __init__(self, options):
        self.options = options
        self.data = Path(options.data_dir).resolve()
        self.bin = Path(options.bin_dir).resolve()
        self.controller_binary = self.bin / "bantin-controller"
        self.player_binary = self.bin / "bantin-player"
        self.logs = self.data / "logs"
        self.config_file = self.data / "controller.toml"
        self.credentials_file = self.data / "credentials.txt"
        self.state_file = self.data / "demo-state.json"
        self.controller: subprocess.Popen | None = None
        self.players: dict[str, subprocess.Popen] = {}
        self.http_port = 0
        self.broker_port = 0
        self.window_device: str | None = None

    # --- configuration and first-run set-up -------------------------------------------------

    def prepare(self) -> None:
        for binary in (self.controller_binary, self.player_binary):
            if not os.access(binary, os.X_OK):
                raise DemoError(f"{binary}: not built (run scripts/demo.sh, which builds first)")
        self.data.mkdir(parents=True, exist_ok=True)
        self.logs.mkdir(exist_ok=True)
        if not self.config_file.exists():
            self.http_port = free_port(None if self.options.check else 8080)
            self.broker_port = free_port(None if self.options.check else 18830)
            lines = [
                "# Written by scripts/demo/bantin_demo.py on the first run; edit freely.",
                "[http]", 'listen_address = "127.0.0.1"', f"port = {self.http_port}",
                'front = "nginx"  # nginx binds the port; the API server listens on 127.0.0.1 behind it',
                "[storage]", f"data_dir = {toml_string(str(self.data / 'controller'))}",
                "[mqtt]", f"port = {self.broker_port}", "reconnect_min_ms = 200", "reconnect_max_ms = 5000",
                "[broker]", f"port = {self.broker_port}",
            ]
            if os.geteuid() == 0:
                lines.append('run_as_user = "root"  # the broker reads files owned by this user')
            lines += ["[log]", 'level = "info"', ""]
            self.config_file.write_text("\n".join(lines))
            run([str(self.controller_binary), "--check-config", str(self.config_file)])
        else:
            self.read_ports()
        keys = self.data / "controller" / "keys" / "controller.key"
        if not keys.exists():
            log("creating the controller's signing key")
            run([str(self.controller_binary), "--config", str(self.config_file), "--init-keys"])
        credentials = self.read_credentials()
        if "admin" not in credentials:
            if credentials:
                raise DemoError(f"{self.credentials_file} has no admin line; remove {self.data} to start over")
            passwords = {"admin": secrets.token_urlsafe(15)}
            for name, _, _ in PEOPLE:
                passwords[name] = secrets.token_urlsafe(15)
            log("creating the admin (password generated, see credentials.txt)")
            run([str(self.controller_binary), "--config", str(self.config_file), "--create-admin", "admin"],
                stdin_text=passwords["admin"] + "\n")
            self.write_credentials(passwords)

    def read_ports(self) -> None:
        section = ""
        for line in self.config_file.read_text().splitlines():
            line = line.split("#", 1)[0].strip()
            if line.startswith("["):
                section = line.strip("[]")
            elif line.startswith("port") and "=" in line:
                value = int(line.split("=", 1)[1])
                if section == "http":
                    self.http_port = value
                elif section == "broker":
                    self.broker_port = value
        if not self.http_port or not self.broker_port:
            raise DemoError(f"{self.config_file}: [http] port and [broker] port are needed")

    def read_credentials(self) -> dict[str, str]:
        passwords = {}
        if self.credentials_file.exists():
            for line in self.credentials_file.read_text().splitlines():
                if line.startswith("#") or ":" not in line:
                    continue
                name, rest = line.split(":", 1)
                fields = rest.split()
                if fields:
                    passwords[name.strip()] = fields[0]
        return passwords

    def write_credentials(self, passwords: dict[str, str]) -> None:
        roles = {"admin": "admin", **{name: role for name, _, role in PEOPLE}}
        text = ["# Bantin demo accounts, generated on the first run. Keep this file private.",
                "# name: password  (role)"]
        text += [f"{name}: {password}  ({roles[name]})" for name, password in passwords.items()]
        write_private(self.credentials_file, "\n".join(text) + "\n")

    # --- processes ---------------------------------------------------------------------------

    def start_controller(self) -> None:
        for port in (self.http_port, self.broker_port):
            if port_accepts(port):
                raise DemoError(f"127.0.0.1:{port} is in use (another demo running?); "
                                f"stop it or change the ports in {self.config_file}")
        output = open(self.logs / "controller.log", "ab")
        self.controller = subprocess.Popen([str(self.controller_binary), "--config", str(self.config_file)],
                                           stdout=output, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.controller.poll() is not None:
                raise DemoError("bantin-controller exited; see " + str(self.logs / "controller.log"))
            if port_accepts(self.http_port):
                return
            time.sleep(0.2)
        raise DemoError("bantin-controller did not answer on port %d within 30 s" % self.http_port)

    def start_player(self, device: str, kind: str) -> None:
        directory = self.data / "devices" / device
        mode = "headless"
        lines = [f"provisioning_file = {toml_string(str(directory / 'provisioning.json'))}",
                 "[state]", f"dir = {toml_string(str(directory / 'state'))}", "[playback]"]
        if device == self.window_device:
            mode = "screen"
            lines += ['mode = "screen"', "fullscreen = false", "window_width = 960", "window_height = 540"]
        else:
            lines.append('mode = "headless"')
        lines += ["[status]", "interval_s = 10", "[fetch]", "retry_min_ms = 500", "retry_max_ms = 10000",
                  "[mqtt]", "reconnect_min_ms = 500", "reconnect_max_ms = 5000",
                  "[proof]", "flush_interval_s = 2", ""]
        config = directory / "player.toml"
        config.write_text("\n".join(lines))
        run([str(self.player_binary), "--check-config", str(config)])
        output = open(self.logs / f"{device}.log", "ab")
        self.players[device] = subprocess.Popen([str(self.player_binary), "--config", str(config)],
                                                stdout=output, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        log(f"player {device} ({kind}, {mode}) pid {self.players[device].pid}")

    def stop(self) -> None:
        for device, player in self.players.items():
            if player.poll() is None:
                player.send_signal(signal.SIGTERM)
        for device, player in self.players.items():
            try:
                player.wait(timeout=10)
            except subprocess.TimeoutExpired:
                log(f"player {device} did not stop in 10 s; killing it")
                player.kill()
                player.wait()
        if self.controller and self.controller.poll() is None:
            self.controller.send_signal(signal.SIGTERM)
            try:
                self.controller.wait(timeout=20)
            except subprocess.TimeoutExpired:
                log("bantin-controller did not stop in 20 s; killing it")
                self.controller.kill()
                self.controller.wait()

    # --- seeding -------------------------------------------------------------------------------

    def api(self) -> Api:
        return Api(f"http://127.0.0.1:{self.http_port}")

    def sessions(self) -> dict[str, Api]:
        passwords = self.read_credentials()
        admin = self.api().login("admin", passwords["admin"])
        for name, display_name, role in PEOPLE:
            status, _ = admin.call("POST", "/api/v1/users", {"name": name, "display_name": display_name,
                                                               "role": role, "password": passwords[name]},
                                   expect=(201, 409))
            if status == 201:
                log(f"user {name} ({role}) created")
        sessions = {"admin": admin}
        for name, _, _ in PEOPLE:
            sessions[name] = self.api().login(name, passwords[name])
        return sessions

    def make_media(self, town: dict) -> dict[str, dict]:
        """Makes a small stand-in for every media item of demo/town.json; returns name -> spec."""
        directory = self.data / "media-src"
        directory.mkdir(exist_ok=True)
        ffmpeg = ["ffmpeg", "-y", "-loglevel", "error"]
        made = {}
        patterns = ["testsrc", "testsrc2", "smptebars", "rgbtestsrc"]
        colours = ["0x1f6feb", "0x2da44e", "0xbf3989", "0xd29922"]
        frequencies = [330, 440, 550, 660, 770]
        for index, media in enumerate(town["media"]):
            name, kind = media["name"], media["type"]
            if kind == "text":
                made[media["sha256"]] = {"kind": "text", "name": name, "text": NOTICE_TEXTS.get(name, name)}
                continue
            path = directory / name
            if not path.exists():
                if kind == "video":
                    seconds = 6
                    arguments = ffmpeg + ["-f", "lavfi", "-i", f"{patterns[index % 4]}=size=640x360:rate=25"]
                    if media.get("has_audio", True):
                        arguments += ["-f", "lavfi", "-i", f"sine=frequency={frequencies[index % 5]}:sample_rate=48000",
                                      "-c:a", "aac"]
                    arguments += ["-t", str(seconds), "-c:v", "mpeg4", "-q:v", "5", str(path)]
                elif kind == "image":
                    arguments = ffmpeg + ["-f", "lavfi", "-i", f"color=c={colours[index % 4]}:s=640x360",
                                          "-frames:v", "1", str(path)]
                else:  # audio
                    arguments = ffmpeg + ["-f", "lavfi", "-i",
                                          f"sine=frequency={frequencies[index % 5]}:sample_rate=48000",
                                          "-t", "8", "-c:a", "libvorbis", str(path)]
                run(arguments)
            made[media["sha256"]] = {"kind": kind, "name": name, "path": path}
        return made

    def seed(self, sessions: dict[str, Api]) -> None:
        state = json.loads(self.state_file.read_text()) if self.state_file.exists() else {}
        town = json.loads(TOWN.read_text())
        editor, approver, operator = sessions["editor"], sessions["approver"], sessions["operator"]

        zones = sorted({device["zone"] for device in town["devices"]} |
                       {zone for campaign in town["campaigns"] for zone in campaign["targets"].get("zones", [])})
        for zone in zones:
            operator.call("POST", "/api/v1/zones", {"id": zone, "name": ZONE_NAMES.get(zone, zone)},
                          expect=(201, 409))

        # Media: uploads are content-addressed, so a repeat answers 200 with the stored record.
        sha_of = state.get("media", {})
        if len(sha_of) != len(town["media"]):
            log("making demo media with ffmpeg and espeak-ng (first run only)")
            for town_sha, spec in self.make_media(town).items():
                if spec["kind"] == "text":
                    _, record = editor.call("POST", "/api/v1/notices", {"text": spec["text"], "name": spec["name"]})
                else:
                    quoted = urllib.request.quote(spec["name"])
                    _, record = editor.call("POST", f"/api/v1/media?name={quoted}", raw=spec["path"].read_bytes())
                sha_of[town_sha] = record["sha256"]
            state["media"] = sha_of
            self.state_file.write_text(json.dumps(state, indent=2))

        for playlist in town["playlists"]:
            items = []
            for item in playlist["items"]:
                adapted = {"media": sha_of[item["media"]], "weight": item.get("weight", 1)}
                media = next(m for m in town["media"] if m["sha256"] == item["media"])
                if media["type"] == "image":
                    adapted["duration_ms"] = 5000  # short, so the demo visibly cycles
                items.append(adapted)
            status, _ = editor.call("POST", "/api/v1/playlists",
                                    {"id": playlist["id"], "name": playlist["name"], "items": items},
                                    expect=(201, 409))
            if status == 201:
                log(f"playlist {playlist['id']} created")

        for campaign in town["campaigns"]:
            adapted = {key: value for key, value in campaign.items()
                       if key not in ("approval", "valid_from", "valid_to")}
            if adapted["mode"] != "fixed_time":
                adapted.pop("windows", None)  # all day, so the demo plays whenever it is run
                adapted["weekdays"] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
            if adapted["mode"] == "share_of_voice":
                adapted["plays_per_hour"] = max(adapted.get("plays_per_hour", 1), 20)
            status, record = editor.call("POST", "/api/v1/campaigns", adapted, expect=(201, 409))
            if status == 409:
                _, record = editor.call("GET", f"/api/v1/campaigns/{campaign['id']}")
            else:
                log(f"campaign {campaign['id']} created")
            if campaign.get("approval") != "approved":
                continue  # drafts stay drafts: only approved campaigns reach devices
            if record["approval"] in ("draft", "rejected"):
                _, record = editor.call("POST", f"/api/v1/campaigns/{campaign['id']}/submit",
                                        {"version": record["version"]})
            if record["approval"] == "submitted":
                _, record = approver.call("POST", f"/api/v1/campaigns/{campaign['id']}/approve",
                                          {"version": record["version"], "note": "demo: approved by the second person"})
                log(f"campaign {campaign['id']} submitted by editor, approved by approver")

        registered = set(state.get("registered", []))
        for device in town["devices"]:
            device_id = device["id"]
            runs_here = device_id in DEMO_DEVICES
            provisioning_file = self.data / "devices" / device_id / "provisioning.json"
            if not runs_here and device_id in registered:
                continue
            body = {"id": device_id, "name": DEVICE_NAMES.get(device_id, device_id), "kind": device["kind"],
                    "zone": device["zone"],
                    "tags": device.get("tags", []), "time_zone": device.get("time_zone", "Asia/Ho_Chi_Minh"),
                    "has_speaker": device.get("has_speaker", device["kind"] == "speaker"),
                    "default_volume": device.get("default_volume", 80)}
            status, answer = operator.call("POST", "/api/v1/devices", body, expect=(201, 409))
            if not runs_here:
                registered.add(device_id)  # in the fleet, never started here: no credentials kept
                continue
            if status == 409:
                _, existing = operator.call("GET", f"/api/v1/devices/{device_id}")
                if existing.get("revoked") is None and provisioning_file.exists():
                    continue
                # Lost provisioning file or revoked: new credentials (the old ones stop working).
                _, answer = operator.call("POST", f"/api/v1/devices/{device_id}/credentials")
                log(f"device {device_id}: new credentials issued (provisioning file missing or revoked)")
            else:
                log(f"device {device_id} registered")
            write_private(provisioning_file, json.dumps(answer["provisioning"], indent=2) + "\n")
        state["registered"] = sorted(registered)
        self.state_file.write_text(json.dumps(state, indent=2))

    # --- status ----------------------------------------------------------------------------------

    def device_views(self, api: Api) -> dict[str, dict]:
        return {device: api.call("GET", f"/api/v1/devices/{device}")[1] for device in DEMO_DEVICES}

    def ready(self, api: Api) -> tuple[bool, str]:
        lines, all_ready = [], True
        for device, view in self.device_views(api).items():
            proof = view.get("proof") or {}
            rows = proof.get("highest", 0) if proof else 0
            ok = (view.get("online") and view.get("desired_version", 0) > 0 and
                  view.get("applied_version") == view.get("desired_version") and rows >= 1)
            all_ready &= bool(ok)
            lines.append(f"{device}: online={view.get('online')} applied={view.get('applied_version')}/"
                         f"{view.get('desired_version')} proof rows={rows}")
        return all_ready, "; ".join(lines)

    def services_down(self, api: Api) -> list[str]:
        """The controller's children (Mosquitto, the nginx front) that fleet/status reports down."""
        _, status = api.call("GET", "/api/v1/fleet/status", expect=(200,))
        services = {service["name"]: service for service in status.get("services", [])}
        down = [name for name in ("broker", "http_front") if not services.get(name, {}).get("up")]
        return [f"{name}: {services.get(name, {}).get('last_error') or 'not reported'}" for name in down]

    def failed_plays(self) -> list[str]:
        """Proof rows with outcome 'failed', read from the controller's database (read-only)."""
        database = self.data / "controller" / "bantin.sqlite3"
        connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=10)
        try:
            rows = connection.execute("SELECT device_id, seq, campaign_id, alert_id, media FROM proof_of_play "
                                      "WHERE outcome = 'failed' ORDER BY device_id, seq").fetchall()
        finally:
            connection.close()
        return [f"{device} seq {seq} {campaign or alert} media {media[:8]}"
                for device, seq, campaign, alert, media in rows]

    def print_summary(self) -> None:
        base = f"http://127.0.0.1:{self.http_port}"
        print(f"""
  Bảng điều khiển / web console: {base}/
  (đăng nhập bằng tên và mật khẩu trong {self.credentials_file}; sign in with a name and password from it)

Bantin demo is running (Ctrl-C stops everything).

  controller API  {base}/api/v1   (docs/api.md; the console above uses it)
  HTTP front      nginx on 127.0.0.1:{self.http_port}, managed by bantin-controller (docs/api.md, "The HTTP front")
  MQTT broker     127.0.0.1:{self.broker_port} (Mosquitto, managed by bantin-controller)
  credentials     {self.credentials_file}   (admin, editor, approver, operator, operator2)
  data            {self.data}   (kept between runs; delete it to start over)
  logs            {self.logs}/controller.log, {self.logs}/<device>.log
  players         {', '.join(f'{d} (pid {p.pid})' for d, p in self.players.items())}

Try:
  TOKEN=$(curl -s {base}/api/v1/auth/login -d '{{"name":"operator","password":"<from credentials.txt>"}}' | sed 's/.*"token":"\\([^"]*\\)".*/\\1/')
  curl -s -H "Authorization: Bearer $TOKEN" {base}/api/v1/fleet/status
  curl -s -H "Authorization: Bearer $TOKEN" "{base}/api/v1/devices/scr-ben-nghe-01/timeline"
""", flush=True)

    # --- entry points ----------------------------------------------------------------------------

    def up(self) -> dict[str, Api]:
        self.prepare()
        if self.options.window or (os.environ.get("DISPLAY") and not self.options.check):
            self.window_device = DEMO_DEVICES[0]
        log(f"starting bantin-controller (HTTP 127.0.0.1:{self.http_port}, MQTT 127.0.0.1:{self.broker_port})")
        self.start_controller()
        log(f"bảng điều khiển / web console: http://127.0.0.1:{self.http_port}/ (the demo town is being seeded)")
        sessions = self.sessions()
        self.seed(sessions)
        town = {d["id"]: d for d in json.loads(TOWN.read_text())["devices"]}
        for device in DEMO_DEVICES:
            self.start_player(device, town[device]["kind"])
        return sessions

    def check(self) -> int:
        sessions = self.up()
        deadline = time.monotonic() + self.options.timeout
        detail = ""
        while time.monotonic() < deadline:
            self.assert_running()
            ok, detail = self.ready(sessions["operator"])
            if ok:
                failed = self.failed_plays()
                if failed:
                    log("check FAILED: plays that failed: " + "; ".join(failed))
                    return 1
                down = self.services_down(sessions["operator"])
                if down:
                    log("check FAILED: services down: " + "; ".join(down))
                    return 1
                missing = self.town_missing(sessions["operator"])
                if missing:
                    log("check FAILED: the town is not all there: " + "; ".join(missing))
                    return 1
                log("check passed: " + detail + "; services up: broker, http_front; "
                    f"{len(ZONE_NAMES)} communes and wards and {len(DEVICE_NAMES)} devices by name")
                return 0
            time.sleep(1)
        log(f"check FAILED after {self.options.timeout} s: {detail}")
        for name in ["controller"] + DEMO_DEVICES:
            path = self.logs / f"{name}.log"
            if path.exists():
                print(f"--- {path} (last lines) ---")
                print("\n".join(path.read_text(errors="replace").splitlines()[-25:]))
        return 1

    def town_missing(self, api: Api) -> list[str]:
        """What of the town's zones and devices the controller lacks or names otherwise."""
        _, zones = api.call("GET", "/api/v1/zones?limit=200")
        named = {zone["id"]: zone["name"] for zone in zones["items"]}
        problems = [f"zone {zone} ({name})" for zone, name in ZONE_NAMES.items() if named.get(zone) != name]
        _, devices = api.call("GET", "/api/v1/devices?limit=500")
        known = {device["id"]: device.get("name") for device in devices["items"]}
        problems += [f"device {device} ({name})" for device, name in DEVICE_NAMES.items()
                     if known.get(device) != name]
        return problems

    def assert_running(self) -> None:
        if self.controller and self.controller.poll() is not None:
            raise DemoError("bantin-controller exited; see " + str(self.logs / "controller.log"))
        for device, player in self.players.items():
            if player.poll() is not None:
                raise DemoError(f"player {device} exited; see {self.logs / (device + '.log')}")

    def serve(self) -> int:
        sessions = self.up()
        self.print_summary()
        reported = False
        while True:
            self.assert_running()
            if not reported:
                ok, detail = self.ready(sessions["operator"])
                if ok:
                    log("every player has applied its bundle and proven a play: " + detail)
                    reported = True
            time.sleep(2)


def main() -> int:
    parser = argparse.ArgumentParser(description="Run the Bantin demo town on this machine.")
    parser.add_argument("--bin-dir", default=str(REPO / "build" / "release" / "apps"),
                        help="directory with bantin-controller and bantin-player")
    parser.add_argument("--data-dir", default=None, help="demo data (default ./var/demo; --check: a temp dir)")
    parser.add_argument("--window", action="store_true", help="show the first screen player in a window")
    parser.add_argument("--check", action="store_true",
                        help="smoke test: up, wait for bundles and proof of play on every device, down")
    parser.add_argument("--timeout", type=int, default=100, help="--check: seconds to wait (default 100)")
    options = parser.parse_args()
    temporary = None
    if options.data_dir is None:
        if options.check:
            temporary = tempfile.mkdtemp(prefix="bantin-demo-check-")
            options.data_dir = temporary
        else:
            options.data_dir = str(REPO / "var" / "demo")
    demo = Demo(options)
    stop_requested = {"signal": None}

    def on_signal(number, _frame):
        stop_requested["signal"] = number
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_signal)
    code = 1
    try:
        code = demo.check() if options.check else demo.serve()
    except KeyboardInterrupt:
        print()
        log("stopping")
        code = 0
    except DemoError as error:
        log(f"error: {error}")
        code = 1
    finally:
        demo.stop()
        if temporary and code == 0 and not os.environ.get("BANTIN_KEEP_DEMO_DIR"):
            shutil.rmtree(temporary, ignore_errors=True)
        elif temporary:
            log(f"data kept in {temporary}")
    if not options.check:
        log("stopped")
    return code


if __name__ == "__main__":
    sys.exit(main())
