"""A real fangkong server in a subprocess, on its own SQLite file, for real-browser tests.

It is set up the way an operator would: ``fangkong migrate``, ``fangkong load_regions``,
``fangkong createuser``, then ``fangkong serve`` on a free port of 127.0.0.1. The first two run once per
test session, in an installation of their own whose database each server then starts from (a copy): the
migrations alone take some 20 s of CPU, and a browser session starts five servers.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

PASSWORD = "browser-test-passphrase-1"  # noqa: S105


def free_port() -> int:
    with contextlib.closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fangkong(home: Path, *args: str, env: dict) -> None:
    subprocess.run([sys.executable, "-m", "fangkong.cli", *args], cwd=home, env=env, check=True,
                   capture_output=True, text=True, timeout=900)  # the demo load: about a minute idle, minutes on a loaded machine


_template: dict[str, Path] = {}


def installation_template(env: dict) -> Path:
    """The SQLite database of a fresh installation (``fangkong migrate``, ``fangkong load_regions``), made
    once per test session (process) in a temporary home of its own, removed at exit."""
    if "database" not in _template:
        home = Path(tempfile.mkdtemp(prefix="fangkong-template-"))
        atexit.register(shutil.rmtree, home, ignore_errors=True)
        env = {**env, "FANGKONG_HOME": str(home)}
        fangkong(home, "migrate", env=env)
        fangkong(home, "load_regions", env=env)
        _template["database"] = home / "var" / "fangkong.sqlite3"
    return _template["database"]


def installation_copy(template: Path, home: Path) -> None:
    """``home``'s database as a copy of ``template`` (SQLite's backup: complete even if a write-ahead log
    were left beside the file)."""
    (home / "var").mkdir(parents=True, exist_ok=True)
    with contextlib.closing(sqlite3.connect(template)) as source, \
            contextlib.closing(sqlite3.connect(home / "var" / "fangkong.sqlite3")) as target:
        source.backup(target)


@contextlib.contextmanager
def running_server(home: Path, users: list[tuple[str, str, str]], *, demo: bool = False) -> Iterator[str]:
    """Serve a fresh installation under ``home`` with ``users`` (name, region, role); yield its URL.

    With ``demo`` the installation is made by ``fangkong demo`` (regions, demo users, the simulated wave).
    """
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "DJANGO_SETTINGS_MODULE"}}
    env["DJANGO_SETTINGS_MODULE"] = "fangkong.testing.server_settings"  # the cheap password hasher of the tests
    env["FANGKONG_HOME"] = str(home)
    env["FANGKONG_DEMO"] = "1"  # a test installation: development keys, no two-factor enrolment required
    installation_copy(installation_template(env), home)  # migrated, regions loaded
    if demo:
        fangkong(home, "demo", env=env)  # its own migrate and region load find nothing left to do
    for username, region, role in users:
        fangkong(home, "createuser", username, "--region", region, "--role", role, "--password", PASSWORD, env=env)
    port = free_port()
    log = (home / "server.log").open("w")
    server = subprocess.Popen([sys.executable, "-m", "fangkong.cli", "serve", f"127.0.0.1:{port}"],
                              cwd=home, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/healthz", timeout=2):  # noqa: S310 (loopback only)
                    break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError(f"server did not start: {(home / 'server.log').read_text()}") from None
                time.sleep(0.3)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=20)
        log.close()
