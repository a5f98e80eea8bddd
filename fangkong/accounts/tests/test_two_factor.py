"""Two-factor sign-in (TOTP, django-otp): nothing without the code, wrong codes bounded, enrolment, recovery codes,
the setting that makes it compulsory, and sign-in by password alone where nothing is configured (the demo)."""

from __future__ import annotations

import io
import time

import pytest
from cryptography.exceptions import InvalidTag
from django.core.management import call_command
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.authtoken.models import Token

from fangkong.accounts import two_factor
from fangkong.accounts.access import PUBLIC, access_policy_of
from fangkong.accounts.models import SealedTOTPDevice
from fangkong.accounts.services import two_factor_remove
from fangkong.api.tests.test_scope_everywhere import PLATFORM_URL_VALUES, concrete_paths
from fangkong.audit.models import AuditEvent
from fangkong.modules import scope_record_makers
from fangkong.testing.builders import PASSWORD

LOGIN = "/accounts/login/"
VERIFY = "/accounts/two-factor/code/"
ENROL = "/accounts/two-factor/enrol/"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def url_values(shenzhen_epi) -> dict[str, list[str]]:
    """Every module's Shenzhen records and the URL parameter values reaching them (as the scope test)."""
    values = {name: list(tried) for name, tried in PLATFORM_URL_VALUES.items()}
    for make_records in scope_record_makers():
        for name, tried in make_records(shenzhen_epi).items():
            values.setdefault(name, []).extend(tried)
    return values


def _code(device: SealedTOTPDevice, steps_ahead: int = 0) -> str:
    """The code the user's app shows now (or ``steps_ahead`` steps of 30 s later)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + steps_ahead * device.step
    return f"{totp.token():0{device.digits}d}"


def _enrolled(user) -> tuple[SealedTOTPDevice, list[str]]:
    device = two_factor.totp_device_create(user)
    SealedTOTPDevice.objects.filter(pk=device.pk).update(confirmed=True)
    device.refresh_from_db()
    return device, two_factor.recovery_codes_make(user)


def _password(client, user):
    response = client.post(LOGIN, {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302, "the password step itself must succeed"
    return response


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


@pytest.mark.walk
def test_an_enrolled_user_reaches_no_page_and_no_api_without_the_code(client, province_commander, url_values):
    _enrolled(province_commander)
    assert _password(client, province_commander)["Location"] == "/"
    paths = concrete_paths(url_values)
    assert len(paths) > 60 and {"api:person-list", "cases:case-list", "web:audit-list", "api-schema"} <= {
        name for name, _ in paths}
    from django.urls import resolve

    reached = []
    for name, path in paths:
        view = resolve(path).func
        if access_policy_of(view) == PUBLIC or name == "accounts:two-factor-verify":
            continue
        for method in ("get", "post"):
            response = getattr(client, method)(path, follow=False)
            if path.startswith("/api/"):
                ok = response.status_code == 403 and response.json()["error"]["code"] == "second_factor_required"
            else:
                ok = response.status_code == 302 and response["Location"].startswith(VERIFY)
            if not ok:
                reached.append(f"{method.upper()} {path} ({name}): {response.status_code}")
    assert reached == []
    # The enrolment page is gated too: no second authenticator can be added without the first.
    assert client.get(ENROL)["Location"].startswith(VERIFY)
    assert not TOTPDevice.objects.filter(user=province_commander, confirmed=False).exists()
    # The code page says what to do; the page asked for first is where the right code leads.
    page = client.get(reverse("web:home"), follow=True)
    text = page.content.decode()
    assert page.redirect_chain[-1][0] == f"{VERIFY}?next=/" and 'autocomplete="one-time-code"' in text
    # and shows nothing of the account: no navigation, no region switcher, no user name (as the sign-in page)
    assert 'id="sidenav"' not in text and 'id="region-switch"' not in text and province_commander.username not in text


def test_the_api_token_of_a_two_factor_user_is_refused(client, province_commander, shenzhen_epi, settings):
    commander_token = Token.objects.create(user=province_commander)
    epi_token = Token.objects.create(user=shenzhen_epi)

    def api(token):
        return client.get("/api/v1/regions/", HTTP_AUTHORIZATION=f"Token {token.key}")

    assert api(commander_token).status_code == 200  # not enrolled, not required: the token works
    _enrolled(province_commander)
    refused = api(commander_token)
    message = refused.json()["error"]["message"]
    assert refused.status_code in (401, 403) and ("API令牌" in message or "API token" in message)
    settings.TWO_FACTOR_REQUIRED = True
    two_factor_remove(user=province_commander, actor=None)
    assert api(commander_token).status_code in (401, 403)  # required for the role, not enrolled: refused too
    assert api(epi_token).status_code == 200  # an epidemiologist's role has no second factor


def test_the_right_code_opens_pages_and_the_api_for_the_session(client, province_commander):
    device, _codes = _enrolled(province_commander)
    _password(client, province_commander)
    used = _code(device)
    response = client.post(VERIFY, {"code": used, "next": "/persons/"})
    assert response.status_code == 302 and response["Location"] == "/persons/"
    assert client.get("/persons/").status_code == 200
    assert client.get("/api/v1/persons/").status_code == 200
    assert client.get(VERIFY)["Location"] == "/"  # nothing more is due
    event = AuditEvent.objects.filter(action="sign_in", detail__two_factor="verified").get()
    assert event.actor == province_commander and event.detail["with"] == "totp"
    # A next sign-in (a new session) asks again, and the code already used is not accepted twice.
    # The very code sent above, not a fresh one: a 30-second step may have passed since (CI once
    # drew the next step's code here, which is rightly accepted).
    client.post("/accounts/logout/")
    _password(client, province_commander)
    assert client.get("/")["Location"].startswith(VERIFY)
    assert client.post(VERIFY, {"code": used}).status_code == 400


def test_a_foreign_next_is_not_followed(client, province_commander):
    device, _codes = _enrolled(province_commander)
    _password(client, province_commander)
    response = client.post(VERIFY, {"code": _code(device), "next": "https://spam.example/"})
    assert response["Location"] == "/"


def test_wrong_codes_are_refused_throttled_and_end_the_session_after_five(client, province_commander, settings):
    device, _codes = _enrolled(province_commander)
    _password(client, province_commander)
    before = AuditEvent.objects.count()

    wrong = client.post(VERIFY, {"code": _wrong(_code(device))})
    assert wrong.status_code == 400 and client.get("/")["Location"].startswith(VERIFY)
    # Right after a wrong code the device refuses even the right one for a while (django-otp's throttle).
    throttled = client.post(VERIFY, {"code": _code(device)})
    assert throttled.status_code == 400 and client.get("/")["Location"].startswith(VERIFY)
    device.refresh_from_db()
    assert device.throttling_failure_count == 1
    # Not a code at all: a field error, nothing counted.
    assert client.post(VERIFY, {"code": "   "}).status_code == 400
    assert client.post(VERIFY, {"code": "12ab"}).status_code == 400

    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # the throttle off: the per-session bound is what is left
    for _ in range(two_factor.FAILURES_PER_SESSION - 2):
        assert client.post(VERIFY, {"code": _wrong(_code(device))}).status_code == 400
    signed_out = client.post(VERIFY, {"code": _wrong(_code(device))})
    assert signed_out.status_code == 302 and signed_out["Location"] == LOGIN
    assert "_auth_user_id" not in client.session and client.get("/")["Location"].startswith(LOGIN)
    device.refresh_from_db()
    assert device.throttling_failure_count == two_factor.FAILURES_PER_SESSION  # kept on the device
    # The trail: one failure event for the five wrong codes (bounded per cool-off), and the sign-out.
    new = list(AuditEvent.objects.order_by("id").values_list("action", "detail"))[before:]
    assert [a for a, _d in new] == ["sign_in_failed", "sign_out"]
    assert new[0][1]["two_factor"] == "wrong_code"


def test_the_throttle_grows_across_sessions(client, province_commander):
    device, _codes = _enrolled(province_commander)
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_count=20)
    device.refresh_from_db()
    device.throttle_increment()  # the twenty-first failure, now
    _password(client, province_commander)
    # 2^20 seconds (twelve days) before the next code is even checked: the right one is refused.
    assert client.post(VERIFY, {"code": _code(device)}).status_code == 400
    assert client.get("/")["Location"].startswith(VERIFY)


def test_a_recovery_code_signs_in_once_and_is_stored_only_as_a_digest(client, province_commander):
    _device, codes = _enrolled(province_commander)
    assert len(codes) == two_factor.RECOVERY_CODES == len(set(codes))
    stored = set(StaticToken.objects.values_list("token", flat=True))
    assert not any(code.replace("-", "") in stored for code in codes)
    _password(client, province_commander)
    assert client.post(VERIFY, {"code": codes[0].upper()})["Location"] == "/"
    assert client.get("/").status_code == 200
    assert AuditEvent.objects.get(detail__two_factor="verified").detail["recovery_codes_left"] == 9
    client.post("/accounts/logout/")
    _password(client, province_commander)
    assert client.post(VERIFY, {"code": codes[0]}).status_code == 400  # used up


def test_enrolment_shows_a_qr_code_drawn_here_and_confirms_with_a_code(client, futian_commander):
    client.force_login(futian_commander)
    page = client.get(ENROL)
    text = page.content.decode()
    svg = text.split("<svg", 1)[1].split("</svg>")[0]
    assert page.status_code == 200 and "href" not in svg and "src=" not in svg and "<script" not in svg
    assert 'id="sidenav"' in text  # a voluntary enrolment, already signed in: the usual shell
    device = SealedTOTPDevice.objects.get(user=futian_commander, confirmed=False)
    secret = text.split("<code>", 1)[1].split("</code>", 1)[0].replace(" ", "")
    import base64

    assert base64.b32decode(secret + "=" * (-len(secret) % 8)) == device.bin_key
    # The secret is stored sealed: neither its hex (django-otp's own form) nor its base32 is in the column.
    assert device.key.startswith("s1:") and device.bin_key.hex() not in device.key and secret not in device.key
    assert client.get(ENROL).status_code == 200 and TOTPDevice.objects.filter(user=futian_commander).count() == 1
    assert client.post(ENROL, {"code": _wrong(_code(device))}).status_code == 400
    assert client.post(ENROL, {"code": "abc"}).status_code == 400
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_count=0, throttling_failure_timestamp=None)
    done = client.post(ENROL, {"code": _code(device)})
    assert done.status_code == 200 and done.content.decode().count("<li><code>") == two_factor.RECOVERY_CODES
    device.refresh_from_db()
    assert device.confirmed and two_factor.enrolled(futian_commander)
    assert client.get("/").status_code == 200  # verified in this session by the enrolment's code
    event = AuditEvent.objects.get(action="create", object_type="accounts.user", detail__two_factor="enrolled")
    assert event.actor == futian_commander and event.detail["recovery_codes"] == two_factor.RECOVERY_CODES
    assert client.get(ENROL)["Location"] == reverse("accounts:two-factor")  # enrolled: no second one


def test_roles_without_a_second_factor_cannot_enrol(client, shenzhen_epi):
    client.force_login(shenzhen_epi)
    assert client.get(ENROL).status_code == 403
    assert not TOTPDevice.objects.exists()
    assert client.get(reverse("accounts:two-factor")).status_code == 200


def test_a_role_that_must_enrol_is_sent_to_enrolment_until_it_has(client, province_commander, sysadmin, shenzhen_epi,
                                                                   settings):
    settings.TWO_FACTOR_REQUIRED = True
    for user in (province_commander, sysadmin):
        client.cookies.clear()
        _password(client, user)
        assert client.get("/")["Location"].startswith(ENROL)
        assert client.get("/audit/")["Location"].startswith(ENROL)
        assert client.get("/api/v1/regions/").json()["error"]["code"] == "second_factor_required"
        assert client.get(VERIFY)["Location"].startswith(ENROL)  # nothing to verify yet
        enrol = client.get(ENROL)
        assert enrol.status_code == 200 and 'id="sidenav"' not in enrol.content.decode()
    device = SealedTOTPDevice.objects.get(user=sysadmin)
    assert client.post(ENROL, {"code": _code(device)}).status_code == 200
    assert client.get("/audit/").status_code == 200
    client.cookies.clear()
    _password(client, shenzhen_epi)  # other roles: the password alone
    assert client.get("/").status_code == 200


def test_demo_users_sign_in_with_the_password_alone_unless_configured(client, province_commander, sysadmin,
                                                                       futian_commander, settings):
    assert settings.TWO_FACTOR_REQUIRED is False  # the default: make demo sets nothing
    for user in (province_commander, futian_commander, sysadmin):
        client.cookies.clear()
        _password(client, user)
        assert client.get("/").status_code == 200
        assert client.get("/api/v1/regions/").status_code == 200
    assert not AuditEvent.objects.filter(detail__has_key="two_factor").exists()


def test_removal_needs_the_password_and_is_audited(client, province_commander):
    device, _codes = _enrolled(province_commander)
    _password(client, province_commander)
    client.post(VERIFY, {"code": _code(device)})
    settings_url = reverse("accounts:two-factor")
    assert "剩余10个恢复码" in client.get(settings_url).content.decode()
    refused = client.post(settings_url, {"action": "remove", "password": "not-the-password"})
    assert refused.status_code == 400 and two_factor.enrolled(province_commander)
    renewed = client.post(settings_url, {"action": "recovery_codes"})
    assert renewed.content.decode().count("<li><code>") == two_factor.RECOVERY_CODES
    assert client.post(settings_url, {"action": "remove", "password": PASSWORD}).status_code == 302
    assert not two_factor.enrolled(province_commander) and not StaticToken.objects.exists()
    actions = list(AuditEvent.objects.filter(detail__has_key="two_factor").order_by("id")
                   .values_list("action", "detail__two_factor"))
    assert actions == [("sign_in", "verified"), ("update", "recovery_codes_renewed"), ("delete", "removed")]
    client.post("/accounts/logout/")
    _password(client, province_commander)
    assert client.get("/").status_code == 200  # the password alone again


def test_an_administrator_removes_a_lost_authenticator_from_the_command_line(province_commander):
    _enrolled(province_commander)
    out = io.StringIO()
    call_command("two_factor_remove", province_commander.username, stdout=out)
    assert "removed" in out.getvalue() and not two_factor.enrolled(province_commander)
    event = AuditEvent.objects.get(action="delete", detail__two_factor="removed")
    assert event.actor is None and event.object_id == str(province_commander.pk)


def test_a_key_in_django_otps_clear_hex_still_works_and_a_sealed_one_needs_the_pii_key(province_commander, settings):
    clear = TOTPDevice.objects.create(user=province_commander, name="old", confirmed=True)
    assert SealedTOTPDevice.objects.get(pk=clear.pk).bin_key == clear.bin_key
    sealed = two_factor.totp_device_create(province_commander)
    raw = sealed.bin_key
    assert len(raw) == 20 and len(sealed.key) <= TOTPDevice._meta.get_field("key").max_length
    settings.PII_KEY = "another-key-entirely-0123456789"
    with pytest.raises(InvalidTag):
        SealedTOTPDevice.objects.get(pk=sealed.pk).bin_key  # noqa: B018 - the property is what is tested
