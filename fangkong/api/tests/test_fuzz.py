"""The whole API fuzzed from its own OpenAPI schema (schemathesis), against a live server, as a signed-in
county user: no answer may be a server error, break the schema (an undocumented status, a body or a media
type other than the schema says), or carry an error body outside the one error shape
(``fangkong.testing.fuzz_checks``).

Bounded so that ``make test`` stays well within its time: ``FUZZ_EXAMPLES`` cases per operation and phase
(positive and negative data), a fixed seed (the same cases every run: a failure reproduces), and a hard
limit on the run. The coverage phase (every boundary and wrong value the schema defines, about 7,500 cases)
sends request bodies as JSON only; the fuzzing phase sends them in every encoding the schema lists
(``fangkong.testing.fuzz_checks.filter_case`` says why that keeps every operation and encoding tested). Run alone with ``pytest -m fuzz`` (``make test-fuzz``, a stage of ``make test``); ``make test-live`` runs it beside the browser tests.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

import pytest

from fangkong.testing.server import PASSWORD, running_server

pytestmark = pytest.mark.fuzz
FUZZ_EXAMPLES = 5
FUZZ_SEED = 20220317
RUN_LIMIT_SECONDS = 1200  # a hard stop only, for a loaded machine: about two minutes on an idle one
CHECKS = ("not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,"
          "error_in_the_shape")


def signed_in(url: str, username: str) -> tuple[urllib.request.OpenerDirector, dict[str, str]]:
    """Sign in through the sign-in page; the opener and the headers a client needs afterwards (the
    session cookie, and the CSRF token that session-authenticated writes carry)."""
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.open(f"{url}/accounts/login/", timeout=30).read()
    token = next(c.value for c in jar if c.name == "csrftoken")
    form = urllib.parse.urlencode({"username": username, "password": PASSWORD, "csrfmiddlewaretoken": token})
    opener.open(urllib.request.Request(f"{url}/accounts/login/", data=form.encode(),  # noqa: S310 (loopback)
                                       headers={"Referer": f"{url}/accounts/login/"}), timeout=30).read()
    cookies = {c.name: c.value for c in jar}
    assert "sessionid" in cookies, "the sign-in did not give a session"
    return opener, {"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items()),
                    "X-CSRFToken": cookies["csrftoken"]}


def test_every_operation_survives_the_schema_fuzzer(tmp_path: Path):
    with running_server(tmp_path, [("fuzz_county", "440304", "local_commander")]) as url:
        opener, headers = signed_in(url, "fuzz_county")
        request = urllib.request.Request(f"{url}/api/schema/?format=json", headers=headers)  # noqa: S310
        schema = json.loads(opener.open(request, timeout=60).read())
        (tmp_path / "schema.json").write_text(json.dumps(schema))
        assert len(schema["paths"]) >= 40
        command = [sys.executable, "-m", "schemathesis.cli", "run", str(tmp_path / "schema.json"), "--url", url,
                   "--checks", CHECKS, "--max-examples", str(FUZZ_EXAMPLES), "--seed", str(FUZZ_SEED),
                   "--mode", "all", "--phases", "examples,coverage,fuzzing", "--workers", "2",
                   "--request-timeout", "60", "--no-shrink", "--continue-on-failure",
                   "--suppress-health-check", "all", "--output-truncate", "false"]
        for name, value in headers.items():
            command += ["--header", f"{name}: {value}"]
        env = {**os.environ, "SCHEMATHESIS_HOOKS": "fangkong.testing.fuzz_checks"}
        run = subprocess.run(command, capture_output=True, text=True, timeout=RUN_LIMIT_SECONDS, env=env,
                             cwd=tmp_path)
        log = (tmp_path / "server.log").read_text()
    # the failures first (the operations and their cases), then the summary and the server's tracebacks: the
    # warnings between them run to tens of thousands of characters
    failures = run.stdout.partition("FAILURES")[2].partition("WARNINGS")[0][:12000]
    tracebacks = "\n".join(block[:1500] for block in log.split("Internal Server Error")[1:6])
    summary = f"{failures}\n...\n{run.stdout[-2500:]}"
    assert run.returncode == 0, f"{summary}\n--- server errors (first five) ---\n{tracebacks or log[-3000:]}"
    assert "Traceback" not in log, log[-3000:]
