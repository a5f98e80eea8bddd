"""A real fangkong server in a subprocess, on its own SQLite file, for real-browser tests.

It is set up the way an operator would: ``fangkong migrate``, ``fangkong load_regions``,
``fangkong createuser``, then ``fangkong serve`` on a free port of 127.0.0.1.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
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


@contextlib.contextmanager
def running_server(home: Path, users: list[tuple[str, str, str]], *, demo: bool = False) -> Iterator[str]:
    """Serve a fresh installation under ``home`` with ``users`` (name, region, role); yield its URL.

    With ``demo`` the installation is made by ``fangkong demo`` (regions, demo users, the simulated wave).
    """
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "DJANGO_SETTINGS_MODULE"}}
    env["FANGKONG_HOME"] = str(home)
    env["FANGKONG_DEMO"] = "1"  # a test installation: development keys, no two-factor enrolment required
    fangkong(home, "migrate", env=env)  # also makes the SQLite folder, which ``demo`` alone does not
    fangkong(home, "demo" if demo else "load_regions", env=env)
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
