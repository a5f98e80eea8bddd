"""In a real browser: data never become markup on the pages with charts.

An installation gets HTML in persons' names (the cases of a cluster, a contact), a cluster's name,
regions' names (the maps and the dashboard), a sentinel site's name and an alert's note. On
every page with charts the test opens every tooltip of every chart (ECharts ``showTip`` over each data item
of each series) and checks that no element was created from the injected HTML: no link to the spam
site, no ``img`` with ``src=x``, no element with an ``onerror`` attribute.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from fangkong.testing.browser import ARTIFACTS, chromium_page, sign_in
from fangkong.testing.server import PASSWORD, running_server

pytestmark = pytest.mark.browser

LINK = '<a href="http://spam.example/">免费领取口罩</a>'
IMAGE = '<img src=x onerror="document.title=1">'

INJECT = f"""
import datetime as dt
from django.utils import timezone
from fangkong.accounts.models import User
from fangkong.cases.services import cluster_create
from fangkong.cases.tests.builders import make_case, make_contact
from fangkong.regions.models import Region
from fangkong.surveillance.models import Alert, AlertTransition, SentinelSite
from fangkong.surveillance.tests.builders import make_shenzhen_surveillance
actor = User.objects.get(username="gd_commander")
a = make_case(actor, region="440304", name={LINK!r}, day="2022-03-10")
b = make_case(actor, region="440304", name={LINK!r}, day="2022-03-12", infector=a)
c = make_case(actor, region="440106", name={IMAGE!r}, day="2022-03-12", infector=a)
cluster = cluster_create(actor=actor, name={IMAGE!r} + {LINK!r}, region="440000", cases=[a, b, c])
make_contact(actor, source_case=a, region="440304", name={LINK!r}, listed="2022-03-12")
alert_id = make_shenzhen_surveillance()["alert_id"][0]
SentinelSite.objects.update(name={IMAGE!r} + {LINK!r})
AlertTransition.objects.create(alert_id=alert_id, from_status="new", to_status="acknowledged",
                               at=timezone.now(), by=actor, note={LINK!r})
Region.objects.filter(code__in=["440304", "440106"]).update(name_zh={LINK!r}, name_en={IMAGE!r})
print("ids", cluster.pk, alert_id)
"""

# every ECharts instance on the page: every tooltip of every series' items, then the markup it made
OPEN_EVERY_TOOLTIP = """() => {
  const shown = [];
  document.querySelectorAll("[_echarts_instance_]").forEach((el) => {
    const chart = window.echarts.getInstanceByDom(el);
    if (!chart) { return; }
    (chart.getOption().series || []).forEach((series, s) => {
      const n = Math.min((series.data || []).length, 60);
      for (let i = 0; i < n; i++) { chart.dispatchAction({ type: "showTip", seriesIndex: s, dataIndex: i }); }
      shown.push(n);
    });
  });
  return shown;
}"""
INJECTED_ELEMENTS = """() => document.querySelectorAll(
  'a[href^="http://spam.example"], img[src="x"], [onerror]').length"""


@pytest.fixture(scope="module")
def installation(tmp_path_factory):
    home = tmp_path_factory.mktemp("fangkong-markup")
    with running_server(home, [("gd_commander", "440000", "provincial_commander")]) as url:
        env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "DJANGO_SETTINGS_MODULE"}}
        env.update({"FANGKONG_HOME": str(home), "FANGKONG_DEMO": "1"})
        made = subprocess.run([sys.executable, "-m", "fangkong.cli", "shell", "-c", INJECT], cwd=home, env=env,
                              capture_output=True, text=True, timeout=300)
        assert made.returncode == 0, made.stderr
        out = made.stdout.strip().splitlines()[-1].split()  # after the shell's own greeting
        assert out[0] == "ids", made.stdout
        yield url, out[1], out[2]


def test_no_element_is_made_from_data_on_any_page_with_charts(installation):
    url, cluster_id, alert_id = installation
    pages = ["/dashboard/", "/dashboard/440300/", "/dashboard/440100/", "/regions/440300/", "/regions/440100/",
             f"/cases/clusters/{cluster_id}/", "/cases/timeliness/", "/cases/risk-areas/",
             "/surveillance/", "/surveillance/earlies/", "/surveillance/timeliness/"]
    pages.append(f"/surveillance/alerts/{alert_id}/")
    with chromium_page(ignore=("favicon",)) as (page, errors):
        sign_in(page, url, "gd_commander", PASSWORD)
        opened = {}
        for path in pages:
            assert page.goto(url + path).status == 200, path
            page.wait_for_load_state("networkidle")
            page.wait_for_timeout(300)  # charts draw after their data arrive
            opened[path] = page.evaluate(OPEN_EVERY_TOOLTIP)
            page.wait_for_timeout(100)
            assert page.evaluate(INJECTED_ELEMENTS) == 0, path
            assert page.title() != "1", path
        page.screenshot(path=ARTIFACTS / "markup-in-data-cluster.png", full_page=True, caret="initial")
        assert sum(opened[f"/cases/clusters/{cluster_id}/"]) > 0  # the chain graph had nodes to hover
        assert sum(opened["/dashboard/440300/"]) > 0
        assert errors == []


def test_the_check_sees_markup_made_from_data(installation):
    """The same check on a page where the test itself turns the name into markup, as an unescaped tooltip
    formatter did: it counts the element."""
    url, cluster_id, _alert = installation
    with chromium_page() as (page, _errors):
        sign_in(page, url, "gd_commander", PASSWORD)
        page.goto(f"{url}/cases/clusters/{cluster_id}/")
        page.wait_for_load_state("networkidle")
        page.evaluate("() => { const d = document.createElement('div'); d.innerHTML = "
                      "document.querySelector('h1').textContent; document.body.appendChild(d); }")
        assert page.evaluate(INJECTED_ELEMENTS) >= 1
