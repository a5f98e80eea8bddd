"""pytest set-up shared by all apps: the demo region tree loaded once per test database, and users."""

from __future__ import annotations

import os

import pytest

# Nothing Django is imported at module level: fangkong.epi's tests run without Django at all.


def pytest_configure(config):
    if os.environ.get("DATABASE_URL", "").startswith("postgres"):
        print("\nfangkong: running the suite on PostgreSQL", os.environ["DATABASE_URL"].split("@")[-1])


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Every test database starts with the Guangdong region tree (with boundaries)."""
    from fangkong.regions.services import region_tree_load

    with django_db_blocker.unblock():
        region_tree_load()


@pytest.fixture
def province_commander(db):
    return _user("province_commander", "440000", "PROVINCIAL_COMMANDER")


@pytest.fixture
def shenzhen_epi(db):
    return _user("sz_epi", "440300", "EPIDEMIOLOGIST")


@pytest.fixture
def guangzhou_epi(db):
    return _user("gz_epi", "440100", "EPIDEMIOLOGIST")


@pytest.fixture
def futian_commander(db):
    return _user("futian_commander", "440304", "LOCAL_COMMANDER")


@pytest.fixture
def analyst(db):
    return _user("analyst", "440000", "ANALYST")


@pytest.fixture
def sysadmin(db):
    return _user("sysadmin", "440000", "SYSTEM_ADMINISTRATOR")


@pytest.fixture
def nobody(db):
    """A signed-in user without any membership: sees nothing."""
    from fangkong.testing.builders import make_user

    return make_user("nobody")


def _user(username: str, region: str, role_name: str):
    from fangkong.accounts.roles import Role
    from fangkong.testing.builders import make_user

    return make_user(username, (region, Role[role_name]))


@pytest.fixture(autouse=True)
def _english_outside_requests():
    """Each test starts in English, the source language of messages.

    Pages pick their language per request (LocaleMiddleware: Chinese by default), but the middleware
    leaves it active in the thread afterwards; without this, one test's request would decide the
    language of the messages the next test's services produce.
    """
    from django.conf import settings

    if not settings.configured:  # fangkong.epi's tests may run without Django
        yield
        return
    from django.utils import translation

    translation.activate("en")
    yield
    translation.deactivate()
