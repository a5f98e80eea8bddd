"""Two-factor sign-in as a commander does it, in a real browser on a real server: the settings page from the
user name, enrolment with the key the page shows (what scanning the QR code gives an app), the recovery
codes, then the next sign-in asks for the code. Screenshots at phone and desktop size in ``test-artifacts/``."""

from __future__ import annotations

import base64
import time

import pytest

from fangkong.testing.browser import ARTIFACTS, chromium_page, sign_in
from fangkong.testing.server import PASSWORD, running_server

pytestmark = pytest.mark.browser


def _code(secret: str, steps_ahead: int = 0) -> str:
    from django_otp.oath import TOTP

    totp = TOTP(base64.b32decode(secret + "=" * (-len(secret) % 8)))
    totp.time = time.time() + 30 * steps_ahead
    return f"{totp.token():06d}"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    users = [("tf_390", "440300", "local_commander"), ("tf_1920", "440300", "local_commander")]
    with running_server(tmp_path_factory.mktemp("fangkong-2fa"), users) as url:
        yield url


@pytest.mark.parametrize("viewport", [(390, 844), (1920, 1080)])
def test_a_commander_enrols_and_then_signs_in_with_a_code(server, viewport):
    username = f"tf_{viewport[0]}"
    with chromium_page(viewport=viewport) as (page, errors):
        sign_in(page, server, username, PASSWORD)
        if viewport[0] > 800:
            page.click("a.whoami")  # the user name leads to the settings (a phone's top bar folds it away)
        else:
            page.goto(f"{server}/accounts/two-factor/")
        page.wait_for_load_state("networkidle")
        page.click("a[href='/accounts/two-factor/enrol/']")
        page.wait_for_load_state("networkidle")
        qr = page.locator(".qr svg")
        assert qr.count() == 1 and qr.bounding_box()["width"] >= 150  # drawn, large enough to scan
        assert qr.bounding_box()["x"] + qr.bounding_box()["width"] <= viewport[0]
        size = f"{viewport[0]}x{viewport[1]}"
        page.screenshot(path=ARTIFACTS / f"two-factor-enrol-{size}.png", full_page=True)
        secret = page.locator(".signin code").first.inner_text().replace(" ", "")
        page.fill("#id_code", _code(secret))
        page.click(".signin form .btn")
        page.wait_for_load_state("networkidle")
        codes = page.locator(".recovery-codes code").all_inner_texts()
        assert len(codes) == 10
        page.screenshot(path=ARTIFACTS / f"two-factor-codes-{size}.png", full_page=True)

        if viewport[0] > 800:
            page.click("form[action='/accounts/logout/'] button")  # sign out
            page.wait_for_load_state("networkidle")
        else:
            page.context.clear_cookies()  # a new browser session
        sign_in(page, server, username, PASSWORD)
        assert "/accounts/two-factor/code/" in page.url
        page.screenshot(path=ARTIFACTS / f"two-factor-code-{size}.png", full_page=True)
        page.fill("#id_code", _code(secret, steps_ahead=1))  # the enrolment's code is not taken twice
        page.click(".signin form .btn")
        page.wait_for_load_state("networkidle")
        assert page.url.rstrip("/") == server

        # Back to the password alone: removed on the settings page, with the password.
        page.goto(f"{server}/accounts/two-factor/")
        page.fill("#id_password", PASSWORD)
        page.click("form:has(#id_password) .btn")
        page.wait_for_load_state("networkidle")
        assert page.locator("a[href='/accounts/two-factor/enrol/']").count() == 1
        assert errors == []
