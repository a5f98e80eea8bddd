"""Fixtures of the public module's tests: a site of its own under the test's temporary folder (site,
snapshot and key directories apart, a fresh Ed25519 key), two provincial commanders, the spam sample."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from fangkong.accounts.roles import Role
from fangkong.bulletins import services as bulletin_services
from fangkong.testing.builders import make_user

from .. import signing, views

SPAM = [line for line in (Path(__file__).parent / "data" / "spam_lines.txt").read_text(encoding="utf-8").splitlines()
        if line and not line.startswith("#")]
DAY = dt.date(2022, 3, 17)


@pytest.fixture
def site(settings, tmp_path):
    """The public site's directories and key under ``tmp_path``; returns the paths."""
    paths = {"site": tmp_path / "www" / "site", "snapshot": tmp_path / "www" / "snapshot",
             "key": tmp_path / "keys" / "signing.pem", "state": tmp_path / "state"}
    settings.PUBLIC_SITE_DIR, settings.PUBLIC_SNAPSHOT_DIR = str(paths["site"]), str(paths["snapshot"])
    settings.PUBLIC_SIGNING_KEY = str(paths["key"])
    settings.PUBLIC_STATE_DIR = str(paths["state"])
    settings.PUBLIC_VERIFY_KEY = None
    settings.PUBLIC_VERIFY = True
    signing.key_generate(paths["key"])
    views._reported.clear()
    views._readers.clear()
    yield paths
    views._reported.clear()
    views._readers.clear()


@pytest.fixture
def deputy(db):
    """A second provincial commander: publishes what the first prepared (four eyes)."""
    return make_user("province_deputy", ("440000", Role.PROVINCIAL_COMMANDER))


@pytest.fixture
def province_epi(db):
    return make_user("province_epi", ("440000", Role.EPIDEMIOLOGIST))


@pytest.fixture
def approved_bulletins(province_epi, province_commander):
    """The province's report of DAY in Chinese and English: drafted by the epidemiologist, reviewed and
    approved by the commander."""
    made = []
    for language in ("zh-hans", "en"):
        bulletin = bulletin_services.bulletin_generate(actor=province_epi, region_code="440000", day=DAY,
                                                       language=language)
        bulletin = bulletin_services.bulletin_review(actor=province_commander, bulletin=bulletin)
        made.append(bulletin_services.bulletin_approve(actor=province_commander, bulletin=bulletin))
    return made
