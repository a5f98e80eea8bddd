"""Headless Chromium for the browser tests: Debian's chromium driven by Playwright, the arguments our
environment needs, the directory screenshots are kept in, the page errors collected, and signing in.

    with chromium_page(viewport=(1400, 1000)) as (page, errors):
        page.goto(url)
        ...
        assert errors == []
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

ARTIFACTS = Path(os.environ.get("FANGKONG_ARTIFACTS", "test-artifacts")).resolve()
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


_session: dict[str, object] = {}  # the Playwright driver and the browser, shared by the pytest session


def _browser():
    """One Chromium per test session, started on first use: launching it took a few seconds per test.
    Each page still gets a browser context of its own (cookies, storage and cache of its own), so the
    tests stay as isolated as with a browser each."""
    if "browser" not in _session:
        sync_api = pytest.importorskip("playwright.sync_api")
        executable = shutil.which("chromium")
        if executable is None:
            pytest.fail("Debian's chromium is not installed (scripts/install-chromium.sh installs it)")
        playwright = sync_api.sync_playwright().start()
        _session["playwright"] = playwright
        _session["browser"] = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
    return _session["browser"]


def browser_close() -> None:
    """Close the session's browser, if one was started (``pytest_sessionfinish`` of the root conftest)."""
    browser, playwright = _session.pop("browser", None), _session.pop("playwright", None)
    if browser is not None:
        browser.close()
    if playwright is not None:
        playwright.stop()


@contextmanager
def chromium_page(*, viewport: tuple[int, int] = (1400, 1000), console: bool = True,
                  ignore: tuple[str, ...] = ("favicon",)) -> Iterator[tuple[object, list[str]]]:
    """A Chinese-locale page and the list its errors go to: uncaught exceptions, and (``console``) console
    errors — CSP violations included — except those containing one of ``ignore``; each console error names
    the resource it concerns and the page it happened on. The page lives in a fresh browser context."""
    browser = _browser()
    ARTIFACTS.mkdir(exist_ok=True)
    context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]}, locale="zh-CN")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    if console:
        page.on("console", lambda msg: errors.append(f"{msg.text} [{msg.location.get('url')} on {page.url}]")
                if msg.type == "error" and not any(part in msg.text for part in ignore) else None)
    try:
        yield page, errors
    finally:
        context.close()


def sign_in(page, server: str, username: str, password: str) -> None:
    """Sign in through the home page's form and wait for the page that follows."""
    page.goto(f"{server}/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click(".signin button[type=submit]")
    page.wait_for_load_state("networkidle")
