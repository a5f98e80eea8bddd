"""pytest set-up shared by all apps: the demo region tree loaded once per test database, and users."""

from __future__ import annotations

import importlib.util
import os

import pytest

# Nothing Django is imported at module level, and nothing here needs Django or pytest-django unless a
# test asks for a database: fangkong.epi's tests run where neither is installed (make test-epi-standalone).
DJANGO_INSTALLED = importlib.util.find_spec("django") is not None


def django_configured() -> bool:
    """True when Django is installed and its settings are configured (not so for fangkong.epi's tests run
    with ``-p no:django`` or where only the library is installed): autouse fixtures touching Django ask."""
    if not DJANGO_INSTALLED:
        return False
    from django.conf import settings

    return settings.configured


def pytest_configure(config):
    if os.environ.get("DATABASE_URL", "").startswith("postgres"):
        print("\nfangkong: running the suite on PostgreSQL", os.environ["DATABASE_URL"].split("@")[-1])


#: ``FANGKONG_TEST_DATABASE_ONLY=1`` (make test-postgres): the tests that use no database are deselected — they
#: ran in the SQLite pass, and a test without database access answers the same whatever the engine. (An
#: environment variable, not a command-line option: the module-kit test's conftest star-imports this one, and
#: an option added twice is an error.)
DATABASE_ONLY = "FANGKONG_TEST_DATABASE_ONLY"

#: Fixtures that give a test the database (pytest-django's); a test without them, or the django_db marker,
#: cannot open a connection at all (pytest-django refuses it).
DATABASE_FIXTURES = {"db", "transactional_db", "django_db_reset_sequences", "django_db_serialized_rollback",
                     "live_server"}


def uses_database(item) -> bool:
    return item.get_closest_marker("django_db") is not None or bool(
        DATABASE_FIXTURES & set(getattr(item, "fixturenames", ())))


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """The long tests start first: the walks (marker ``walk``), each minutes long, then everything else in
    the order collected.

    Under ``make test`` (``pytest -n 2 --dist worksteal``) a worker that runs out of tests takes half of the
    other's queue, from its end: with the long tests at the front, the short ones are what is left to share
    at the end, and the suite no longer finishes on one worker running a walk while the other waits (collected
    in path order, ``fangkong/tests`` and ``fangkong/web/tests`` came last). The order is the same in every
    worker (xdist requires it). ``tryfirst``: pytest-django's own reordering (database tests by kind) runs
    after this one and keeps it within each kind, as a stable sort does.
    """
    if os.environ.get(DATABASE_ONLY) == "1":
        deselected = [item for item in items if not uses_database(item)]
        if deselected:
            config.hook.pytest_deselected(items=deselected)
            items[:] = [item for item in items if uses_database(item)]
    items.sort(key=lambda item: item.get_closest_marker("walk") is None)
    for item in items:
        group = live_server_group(item)
        if group is not None:
            item.add_marker(pytest.mark.xdist_group(group))


def live_server_group(item) -> str | None:
    """The xdist group of a test against a live server (``make test-live``: ``pytest -m "fuzz or browser" -n 2
    --dist loadgroup``), None for the others: the fuzzer on one worker, every browser test on the other
    (they share one Chromium and the demo installation, a minute to load, made once per worker).

    Both mostly wait on their servers and the browser rather than compute: in one run (load 5-13) the fuzz
    stage took 1,101 s for 233 s of CPU, server and fuzzer included, and the browser stage 990 s for 264 s.
    Side by side on two CPUs they take about as long as the longer of the two, not their sum (the two were
    of about the same length on CI: 6.5 and 7 minutes).
    """
    if item.get_closest_marker("fuzz") is not None:
        return "fuzz"
    return "browser" if item.get_closest_marker("browser") is not None else None


@pytest.fixture(scope="session", autouse=True)
def _cheap_password_hashing():
    """Passwords hashed with a cheap hasher in the tests (Django's own advice for test settings).

    The production hasher (PBKDF2, over a million iterations) costs about a second of CPU per password
    set or checked; the suite makes thousands of users and sign-ins, and the hashing alone took a large
    part of its time. No test is about the strength of the hash: a password is still hashed, checked, and
    refused when wrong. Production settings are untouched (``fangkong.settings`` sets no hasher).
    """
    if not django_configured():  # fangkong.epi's tests, with or without Django installed
        yield
        return
    from django.test.utils import override_settings

    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


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


@pytest.fixture(scope="session")
def demo_server(tmp_path_factory):
    """A real ``fangkong serve`` on its own SQLite demo installation (``fangkong demo``), shared by the
    browser tests of the session (setting it up takes a minute)."""
    from fangkong.testing.server import running_server

    with running_server(tmp_path_factory.mktemp("fangkong-demo"), [], demo=True) as url:
        yield url


@pytest.fixture(autouse=True)
def _english_outside_requests():
    """Each test starts in English, the source language of messages.

    Pages pick their language per request (LocaleMiddleware: Chinese by default), but the middleware
    leaves it active in the thread afterwards; without this, one test's request would decide the
    language of the messages the next test's services produce.
    """
    if not django_configured():  # fangkong.epi's tests, with or without Django installed
        yield
        return
    from django.utils import translation

    translation.activate("en")
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _no_sign_in_failures_carried_over():
    """Failed sign-ins are counted in a cache that outlives a test's transaction: each test starts at zero."""
    if not django_configured():  # fangkong.epi's tests, with or without Django installed
        yield
        return
    from django.core.cache import caches

    caches["axes"].clear()
    yield


@pytest.fixture(autouse=True)
def _a_new_data_generation():
    """Each test starts in a data generation of its own: the previous test's rows were rolled back, which no
    commit announced (``bump_data_generation`` increments on commit, and a test's transaction never commits),
    so what was cached under the generation (the last day with data, dashboard bodies) would outlive them."""
    if not django_configured():  # fangkong.epi's tests, with or without Django installed
        yield
        return
    from fangkong.data_generation import generation_advance

    generation_advance()
    yield


@pytest.fixture(autouse=True)
def _module_paths_apart(tmp_path_factory, monkeypatch):
    """What the modules write outside the database (``ModuleConfig.isolated_paths``: the public site's
    directories and signing key, …) lives in a temporary folder of each test, never in the checkout's
    ``var/`` (a demo load in a test publishes; the public pages of the next test would serve it)."""
    if not django_configured():  # fangkong.epi's tests, with or without Django installed
        yield
        return
    from fangkong.modules import isolated_paths

    base = tmp_path_factory.mktemp("module-paths")
    for name, relative in isolated_paths():
        monkeypatch.setenv(name, str(base / relative))
    yield


def pytest_sessionfinish(session, exitstatus):
    """The browser tests share one Chromium per session (``fangkong.testing.browser``): closed here."""
    import sys

    browser = sys.modules.get("fangkong.testing.browser")
    if browser is not None:
        browser.browser_close()
