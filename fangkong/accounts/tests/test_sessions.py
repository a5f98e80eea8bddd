"""Sessions end when idle; nothing served to a signed-in user is cached; the API schema and docs need sign-in."""

from __future__ import annotations

import time

import pytest
from django.contrib.sessions.models import Session
from django.utils import timezone

from fangkong.accounts.session_expiry import RENEWED_AT
from fangkong.testing.builders import PASSWORD


def _session(client):
    return Session.objects.get(session_key=client.session.session_key)


def test_a_session_expires_after_the_idle_time_and_activity_renews_it(client, shenzhen_epi, settings):
    assert settings.SESSION_IDLE_SECONDS == 8 * 3600 == settings.SESSION_COOKIE_AGE
    assert client.post("/accounts/login/", {"username": "sz_epi", "password": PASSWORD}).status_code == 302
    left = (_session(client).expire_date - timezone.now()).total_seconds()
    assert 8 * 3600 - 60 < left <= 8 * 3600
    # An hour later (as the renewal stamp says), a request renews the expiry.
    session = client.session
    session[RENEWED_AT] = int(time.time()) - 3600
    session.save()
    Session.objects.filter(session_key=session.session_key).update(expire_date=timezone.now() + timezone.timedelta(hours=7))
    assert client.get("/").status_code == 200
    left = (_session(client).expire_date - timezone.now()).total_seconds()
    assert left > 8 * 3600 - 60
    # Idle past the expiry: the next request is sent to sign in.
    Session.objects.filter(session_key=session.session_key).update(expire_date=timezone.now() - timezone.timedelta(seconds=1))
    response = client.get("/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_requests_within_the_renewal_interval_do_not_write_the_session(client, shenzhen_epi):
    client.force_login(shenzhen_epi)
    client.get("/")
    before = _session(client).expire_date
    client.get("/")
    assert _session(client).expire_date == before


def test_signed_in_pages_api_answers_and_files_are_not_stored(client, shenzhen_epi):
    client.force_login(shenzhen_epi)
    for path in ("/", "/persons/", "/api/v1/persons/", "/api/v1/me/", "/cases/export/"):
        response = client.get(path)
        assert "no-store" in response.get("Cache-Control", ""), path


def test_token_api_answers_are_not_stored(client, shenzhen_epi):
    from rest_framework.authtoken.models import Token

    token = Token.objects.create(user=shenzhen_epi)
    response = client.get("/api/v1/persons/", HTTP_AUTHORIZATION=f"Token {token.key}")
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]


def test_anonymous_answers_and_static_files_stay_cacheable(client, shenzhen_epi):
    assert "no-store" not in client.get("/healthz").get("Cache-Control", "")
    client.force_login(shenzhen_epi)
    static = client.get("/static/fangkong/app.css")
    assert static.status_code == 200 and "no-store" not in static.get("Cache-Control", "")


def test_the_api_schema_and_docs_need_sign_in(client, shenzhen_epi):
    schema = client.get("/api/schema/")
    assert schema.status_code in (401, 403) and b"openapi" not in schema.content
    docs = client.get("/api/docs/")
    assert docs.status_code == 302 and docs["Location"].startswith("/accounts/login/?next=/api/docs/")
    client.force_login(shenzhen_epi)
    assert client.get("/api/schema/").status_code == 200
    assert b"openapi" in client.get("/api/schema/").content
    assert client.get("/api/docs/").status_code == 200


@pytest.mark.walk
def test_every_page_api_answer_and_file_of_a_signed_in_user_is_not_stored(client, province_commander, shenzhen_epi):
    """Every URL (the scope test's walk, every module's records), as a commander who reads named data: each
    answer — page, API, export, PDF, map, error — carries no-store."""
    from fangkong.api.tests.test_scope_everywhere import PLATFORM_URL_VALUES, concrete_paths
    from fangkong.modules import scope_record_makers

    values = {name: list(tried) for name, tried in PLATFORM_URL_VALUES.items()}
    for make_records in scope_record_makers():
        for name, tried in make_records(shenzhen_epi).items():
            values.setdefault(name, []).extend(tried)
    paths = concrete_paths(values)
    assert {"cases:case-export", "bulletins:pdf", "web:audit-export", "web:person-detail"} <= {n for n, _ in paths}
    client.force_login(province_commander)
    stored, answered = [], set()
    for name, path in paths:
        response = client.get(path)
        if response.status_code == 200:
            answered.add(name)
            if "no-store" not in response.get("Cache-Control", ""):
                stored.append(f"{path} ({name})")
        if response.streaming:
            b"".join(response)
    assert stored == []
    assert {"cases:case-export", "bulletins:pdf", "web:person-detail", "api:person-list"} <= answered


def test_over_tls_cookies_are_secure_hsts_is_sent_and_plain_http_is_redirected(client, shenzhen_epi, settings):
    """What FANGKONG_TLS=1 sets (test_deployment checks the settings) does reach the answers."""
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = True
    settings.SECURE_HSTS_SECONDS, settings.SECURE_SSL_REDIRECT = 31536000, True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    plain = client.get("/accounts/login/")
    assert plain.status_code == 301 and plain["Location"] == "https://testserver/accounts/login/"
    page = client.get("/accounts/login/", HTTP_X_FORWARDED_PROTO="https")
    assert page.status_code == 200 and page["Strict-Transport-Security"].startswith("max-age=31536000")
    assert page.cookies["csrftoken"]["secure"]
    signed_in = client.post("/accounts/login/", {"username": "sz_epi", "password": PASSWORD},
                            HTTP_X_FORWARDED_PROTO="https")
    assert signed_in.status_code == 302 and signed_in.cookies["sessionid"]["secure"]
    assert signed_in.cookies["sessionid"]["httponly"]
