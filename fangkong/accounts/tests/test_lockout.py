"""A brute-forcer's view of sign-in: lock-out per user and per address, the cool-off, a bounded audit trail."""

from __future__ import annotations

import datetime as dt
import time

import pytest

from fangkong.audit.chain import chain_verify
from fangkong.audit.models import AuditEvent
from fangkong.testing.builders import PASSWORD

LOGIN = "/accounts/login/"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Hundreds of sign-in attempts: a cheap hasher keeps the module quick (the lock-out does not depend on it)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _try(client, username, password, address="10.9.8.7"):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=address)


def test_twenty_wrong_passwords_lock_the_account_and_the_right_one_is_refused(client, shenzhen_epi, settings):
    assert settings.AXES_FAILURE_LIMIT <= 20
    before = AuditEvent.objects.count()
    answers = [_try(client, "sz_epi", f"guess-{i}").status_code for i in range(20)]
    assert answers[0] == 200 and answers[-1] == 429
    refused = _try(client, "sz_epi", PASSWORD)
    assert refused.status_code == 429 and "_auth_user_id" not in client.session
    assert "登录失败次数过多" in refused.content.decode()  # the page says why (Chinese by default)
    # From another address too: the account itself is locked.
    assert _try(client, "sz_epi", PASSWORD, address="10.1.1.1").status_code == 429
    assert not AuditEvent.objects.filter(action="sign_in").exists()
    # The trail grew by one failure and one lock-out event, not by 22.
    new = list(AuditEvent.objects.filter(id__gt=0).order_by("id").values_list("action", "object_id", "detail"))[before:]
    assert [a for a, _o, _d in new] == ["sign_in_failed", "sign_in_locked"]
    assert new[1][1] == str(shenzhen_epi.pk) and new[1][2]["failures"] == settings.AXES_FAILURE_LIMIT
    assert chain_verify().intact


def test_other_accounts_are_not_locked_by_someone_elses_failures(client, shenzhen_epi, guangzhou_epi):
    for i in range(20):
        _try(client, "sz_epi", f"guess-{i}", address="10.0.0.1")
    assert _try(client, "gz_epi", PASSWORD, address="10.0.0.2").status_code == 302


def test_one_address_spraying_many_names_is_locked_out(client, guangzhou_epi, settings):
    for i in range(settings.AXES_FAILURE_LIMIT):
        _try(client, f"someone-{i}", "x", address="10.6.6.6")
    assert _try(client, "gz_epi", PASSWORD, address="10.6.6.6").status_code == 429
    assert _try(client, "gz_epi", PASSWORD, address="10.6.6.7").status_code == 302


def test_the_lock_ends_after_the_cool_off(client, shenzhen_epi, settings):
    settings.AXES_COOLOFF_TIME = dt.timedelta(seconds=3)
    for i in range(settings.AXES_FAILURE_LIMIT):
        _try(client, "sz_epi", f"guess-{i}")
    assert _try(client, "sz_epi", PASSWORD).status_code == 429
    time.sleep(3.5)
    assert _try(client, "sz_epi", PASSWORD).status_code == 302


def test_a_forged_forwarded_for_header_does_not_reset_the_address(client, guangzhou_epi, settings):
    for i in range(settings.AXES_FAILURE_LIMIT):
        client.post(LOGIN, {"username": f"x{i}", "password": "x"}, REMOTE_ADDR="10.5.5.5",
                    HTTP_X_FORWARDED_FOR=f"192.0.2.{i}")
    response = client.post(LOGIN, {"username": "gz_epi", "password": PASSWORD}, REMOTE_ADDR="10.5.5.5",
                           HTTP_X_FORWARDED_FOR="192.0.2.200")
    assert response.status_code == 429


@pytest.mark.parametrize("distinct_addresses", [False, True])
def test_anonymous_floods_cannot_grow_the_audit_trail_without_bound(db, client, settings, distinct_addresses):
    """300 failures with made-up names: the trail grows by at most the hourly cap for unknown names."""
    settings.AUDIT_UNKNOWN_SIGNIN_EVENTS_PER_HOUR = 25
    before = AuditEvent.objects.count()
    for i in range(300):
        address = f"10.0.{i % 100}.1" if distinct_addresses else "10.7.7.7"
        _try(client, f"nobody-{i}", "x", address=address)
    grown = AuditEvent.objects.count() - before
    assert 0 < grown <= 25
    assert chain_verify().intact
