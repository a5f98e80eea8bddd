"""Every URL of the application, API and pages alike, called by a user of another city leaks nothing.

The URL patterns come from the URL configuration itself, not from a list written here: a new endpoint
is enumerated automatically. It must declare an access policy (or the test fails), and when it is
called with the identifiers of another city's records — and without any — the response must not
contain that city's persons, identifiers or region details, and nothing may change in the database.
"""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.urls.exceptions import NoReverseMatch

from fangkong.accounts.access import access_policy_of
from fangkong.accounts.models import Membership, User
from fangkong.bulletins.models import Bulletin
from fangkong.bulletins.services import bulletin_generate
from fangkong.cases.models import Case, Cluster, Contact, ImportJob, RiskArea
from fangkong.cases.services import cluster_create
from fangkong.cases.tests.builders import make_case, make_contact
from fangkong.persons.models import Person
from fangkong.regions.models import Region
from fangkong.surveillance.models import Alert, AlertTransition, SentinelReport, SentinelSite
from fangkong.surveillance.tests.builders import make_shenzhen_surveillance
from fangkong.testing.builders import make_person

SZ_NAMES = ("深圳测试甲", "福田测试乙")
# Texts that only a view of Shenzhen or of the whole province could show.
OUTSIDE_MARKERS = ("深圳", "福田", "Shenzhen", "Futian", "广东省", "Guangdong Province", *SZ_NAMES)


def iter_patterns(resolver=None, namespace=""):
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from iter_patterns(entry, inner)
        elif isinstance(entry, URLPattern):
            yield namespace, entry


def candidate_kwargs(pattern: URLPattern, values: dict[str, list[str]]) -> list[dict[str, str]]:
    names = list(pattern.pattern.regex.groupindex)
    unknown = [n for n in names if n not in values]
    assert not unknown, f"teach this test which values to try for URL parameter(s) {unknown} of {pattern}"
    return [dict(zip(names, combo, strict=True)) for combo in itertools.product(*(values[n] for n in names))]


def concrete_paths(values: dict[str, list[str]]) -> list[tuple[str, str]]:
    paths = []
    for namespace, pattern in iter_patterns():
        assert pattern.name, f"URL pattern {pattern} has no name"
        for kwargs in candidate_kwargs(pattern, values):
            try:
                paths.append((f"{namespace}{pattern.name}", reverse(f"{namespace}{pattern.name}", kwargs=kwargs)))
            except NoReverseMatch:
                continue
    return paths


def table_counts() -> dict[str, int]:
    return {m.__name__: m.objects.count() for m in (Person, Membership, Region, User, SentinelReport, Alert,
                                                    AlertTransition, Case, Contact, Cluster, RiskArea, Bulletin)}


@pytest.fixture
def shenzhen_data(shenzhen_epi):
    people = [
        make_person(shenzhen_epi, name=SZ_NAMES[0], region="440303", phone="13812345678"),
        make_person(shenzhen_epi, name=SZ_NAMES[1], region="440304", phone="13987654321"),
    ]
    # Shenzhen's cases, a contact and a cluster (issue 6): ids of these are tried on every URL too.
    case = make_case(shenzhen_epi, region="440303", person=people[0])
    make_contact(shenzhen_epi, source_case=case, region="440304", person=people[1])
    cluster_create(actor=shenzhen_epi, name="深圳测试聚集", region="440300", cases=[case])
    RiskArea.objects.create(region_id="440304", area_name="福田测试小区", level="high",
                            designated_from=case.report_date)
    ImportJob.objects.create(kind="cases", file_name="深圳导入.csv", data=b"", created_by=shenzhen_epi,
                             status=ImportJob.Status.FAILED, errors=[{"row": 2, "column": "name", "message": "深圳"}])
    make_shenzhen_surveillance()  # a Futian sentinel site, report and alert (issue 7)
    bulletin_generate(actor=shenzhen_epi, region_code="440300", day=dt.date(2022, 3, 10), language="zh-hans")
    return people


def url_values(people) -> dict[str, list[str]]:
    ids = [str(p.pk) for p in people]
    case_ids = [str(pk) for pk in Case.objects.values_list("pk", flat=True)]
    contact_ids = [str(pk) for pk in Contact.objects.values_list("pk", flat=True)]
    cluster_ids = [str(pk) for pk in Cluster.objects.values_list("pk", flat=True)]
    cluster_ids += [str(pk) for pk in RiskArea.objects.values_list("pk", flat=True)]  # tried as "pk" too
    sentinel_ids = [f"{pk}" for pk in Alert.objects.values_list("pk", flat=True)] + [
        f"{pk}" for pk in SentinelSite.objects.values_list("pk", flat=True)] + [
        f"{pk}" for pk in SentinelReport.objects.values_list("pk", flat=True)]
    bulletin_ids = [str(pk) for pk in Bulletin.objects.values_list("pk", flat=True)]  # issue 8
    return {
        "pk": ids + case_ids + contact_ids + cluster_ids + sentinel_ids + bulletin_ids, "person_id": ids,
        "bulletin_id": bulletin_ids,
        "case_id": case_ids, "contact_id": contact_ids, "cluster_id": cluster_ids,
        "area_id": [str(pk) for pk in RiskArea.objects.values_list("pk", flat=True)],  # issue 6: risk-area lift
        "job_id": [str(pk) for pk in ImportJob.objects.values_list("pk", flat=True)],
        "alert_id": [str(pk) for pk in Alert.objects.values_list("pk", flat=True)],
        "code": ["440300", "440304", "440000"],
        "slug": ["cases"],
        "format": ["json"],
    }


def test_every_url_declares_its_access_policy():
    undeclared = [
        f"{ns}{p.name} ({p.pattern})" for ns, p in iter_patterns() if access_policy_of(p.callback) is None
    ]
    assert undeclared == [], "endpoints without an access policy: " + ", ".join(undeclared)


def test_no_url_shows_another_citys_data(client, guangzhou_epi, shenzhen_data):
    paths = concrete_paths(url_values(shenzhen_data))
    names = {name for name, _ in paths}
    # The enumeration really reaches the endpoints that could leak (guards against a broken walk).
    assert {"api:person-detail", "api:region-detail", "web:person-detail", "web:region-detail",
            "api:person-list", "api:person-reveal", "web:region-map",
            "cases:case-detail", "cases:contact-detail", "cases:cluster-detail", "cases:cluster-graph",
            "cases:case-export", "cases-api:case-detail", "cases-api:contact-detail",
            "cases-api:cluster-detail", "surveillance:alert-detail", "surveillance:alert-series",
            "surveillance:alert-transition", "surveillance-api:alert-detail", "surveillance-api:alert-transition",
            "surveillance-api:alert-series", "surveillance-api:site-detail", "surveillance:alert-cluster",
            "surveillance-api:alert-open-cluster", "surveillance-api:report-detail",
            "dashboard:region", "dashboard:geo", "dashboard:screen-panel", "dashboard-api:situation",
            "bulletins:detail", "bulletins:pdf", "bulletins:report", "bulletins:transition",
            "bulletins-api:bulletin-detail", "bulletins-api:bulletin-transition"} <= names
    sealed = [p.citizen_id_masked for p in shenzhen_data] + [p.phone_masked for p in shenzhen_data]
    before = table_counts()
    for name, path in paths:
        for method in ("get", "post"):
            client.force_login(guangzhou_epi)
            response = getattr(client, method)(path, follow=False)
            assert response.status_code < 500, f"{method.upper()} {path} ({name}) failed"
            body = b"".join(response) if response.streaming else response.content
            text = body.decode("utf-8", errors="replace")
            for marker in (*OUTSIDE_MARKERS, *sealed):
                assert marker not in text, f"{method.upper()} {path} ({name}) shows {marker!r} to a Guangzhou user"
    assert table_counts() == before


def test_the_same_urls_do_show_the_data_in_scope(client, shenzhen_epi, shenzhen_data):
    """Positive control: the markers the test looks for are really what these endpoints show."""
    client.force_login(shenzhen_epi)
    person = shenzhen_data[0]
    for path in (reverse("web:person-detail", kwargs={"person_id": person.pk}),
                 reverse("api:person-detail", kwargs={"pk": person.pk}),
                 reverse("api:person-list"), reverse("web:person-list")):
        assert SZ_NAMES[0] in client.get(path).content.decode(), path
    assert "Shenzhen" in client.get(reverse("api:region-detail", kwargs={"code": "440300"})).content.decode()
    assert "深圳" in client.get(reverse("web:region-detail", kwargs={"code": "440300"})).content.decode()
