"""Every URL of the application, API and pages alike, called by a user of another city leaks nothing.

The URL patterns come from the URL configuration itself, not from a list written here: a new endpoint
is enumerated automatically. So do the records tried and the tables checked: every module declares
(``fangkong.modules``) the function that creates another city's records for this test
(``scope_records``: it returns the URL parameter values that reach them) and the tables that must not
change (``scoped_tables``), so a new module is covered the moment it is installed. It must declare an access policy (or the test fails), and when it is
called with the identifiers of another city's records — and without any — the response must not
contain that city's persons, identifiers or region details, and nothing may change in the database.
"""

from __future__ import annotations

import itertools
import os
from importlib import import_module

import pytest
from django.http import Http404
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.urls.exceptions import NoReverseMatch

from fangkong.accounts.access import access_policy_of
from fangkong.modules import installed_modules, scope_record_makers, scoped_models
from fangkong.persons.models import Person
from fangkong.persons.tests.scope import NAMES as SZ_NAMES

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
    # Each distinct value once: the modules' records share ids ("1" is the first row of every table), and a
    # repeated value would only repeat the same request.
    return [dict(zip(names, combo, strict=True))
            for combo in itertools.product(*(distinct(values[n]) for n in names))]


def distinct(items):
    """``items`` without repeats, in their first order."""
    return list(dict.fromkeys(items))


def concrete_paths(values: dict[str, list[str]]) -> list[tuple[str, str]]:
    """Every (URL name, path) the values reach, each once (two spellings of one request add nothing)."""
    paths = []
    for namespace, pattern in iter_patterns():
        assert pattern.name, f"URL pattern {pattern} has no name"
        for kwargs in candidate_kwargs(pattern, values):
            try:
                paths.append((f"{namespace}{pattern.name}", reverse(f"{namespace}{pattern.name}", kwargs=kwargs)))
            except NoReverseMatch:
                continue
    return distinct(paths)


def table_counts() -> dict[str, int]:
    return {m._meta.label: m.objects.count() for m in scoped_models()}


#: The URL namespaces to walk, when the walk is asked to cover some modules only (comma-separated): the module
#: kit's test walks the module it makes, whose discovery is the point there; the platform's run walks all.
WALK_ONLY = tuple(filter(None, os.environ.get("FANGKONG_WALK_ONLY", "").split(",")))


def walked(name: str) -> bool:
    return not WALK_ONLY or name.partition(":")[0].removesuffix("-api") in WALK_ONLY


#: URL parameters of the platform itself; the modules' records add theirs.
PLATFORM_URL_VALUES = {"code": ["440300", "440304", "440000"], "slug": ["cases"], "format": ["json"]}


@pytest.fixture
def shenzhen_data(shenzhen_epi) -> dict[str, list[str]]:
    """Every module's Shenzhen records; the URL parameter values that reach them."""
    values = {name: list(tried) for name, tried in PLATFORM_URL_VALUES.items()}
    for make_records in scope_record_makers():
        for name, tried in make_records(shenzhen_epi).items():
            values.setdefault(name, []).extend(tried)
    return values


def test_every_module_takes_part():
    """The modules holding regional records declare them (a guard against a declaration dropped)."""
    assert {"persons.Person", "accounts.Membership", "regions.Region", "accounts.User",
            "surveillance.SentinelReport", "surveillance.Alert", "surveillance.AlertTransition", "cases.Case",
            "cases.Contact", "cases.Cluster", "cases.RiskArea", "bulletins.Bulletin"} <= {
        m._meta.label for m in scoped_models()}
    assert len(scope_record_makers()) >= 4


def test_every_url_declares_its_access_policy():
    undeclared = [
        f"{ns}{p.name} ({p.pattern})" for ns, p in iter_patterns() if access_policy_of(p.callback) is None
    ]
    assert undeclared == [], "endpoints without an access policy: " + ", ".join(undeclared)


def test_no_url_shows_another_citys_data(client, guangzhou_epi, shenzhen_data):
    paths = [(name, path) for name, path in concrete_paths(shenzhen_data) if walked(name)]
    names = {name for name, _ in paths}
    assert paths, f"the walk reached no URL of {WALK_ONLY}"
    # The enumeration really reaches the endpoints that could leak (guards against a broken walk).
    assert WALK_ONLY or {"api:person-detail", "api:region-detail", "web:person-detail", "web:region-detail",
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
    for module in installed_modules():  # and every module's pages and API, a new one included
        for urls in filter(None, (module.page_urls and module.page_urls[1], module.api_urls)):
            namespace = import_module(urls).app_name
            if not walked(f"{namespace}:"):
                continue
            assert any(name.startswith(f"{namespace}:") for name in names), f"no URL of {namespace} reached"
    people = list(Person.objects.all())  # all of them Shenzhen's
    sealed = [p.citizen_id_masked for p in people] + [p.phone_masked for p in people]
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
    person = Person.objects.get(name=SZ_NAMES[0])
    for path in (reverse("web:person-detail", kwargs={"person_id": person.pk}),
                 reverse("api:person-detail", kwargs={"pk": person.pk}),
                 reverse("api:person-list"), reverse("web:person-list")):
        assert SZ_NAMES[0] in client.get(path).content.decode(), path
    assert "Shenzhen" in client.get(reverse("api:region-detail", kwargs={"code": "440300"})).content.decode()
    assert "深圳" in client.get(reverse("web:region-detail", kwargs={"code": "440300"})).content.decode()


def test_an_object_of_two_regions_is_in_the_scope_of_each_and_of_no_third(db, shenzhen_epi, guangzhou_epi):
    """Scope over two regions (issue 15): a case reported in Shenzhen of a resident of Dongguan stands for
    any object with two regions (a hand-off's sender and receiver). Both sides see it, through the
    selector and the guard; a third city sees neither, gets the same 404 as for a missing id, and the
    refusal is audited; one region field alone keeps the one-region behaviour."""
    from fangkong.accounts.access import get_in_scope_or_404, in_scope, scoped
    from fangkong.audit.models import AuditEvent
    from fangkong.cases.models import Case
    from fangkong.cases.tests.builders import make_case
    from fangkong.testing.builders import make_user

    dongguan = make_user("dg_epi", ("441900", "epidemiologist"))
    case = make_case(shenzhen_epi, region="440303", residence_region="441900")
    other = make_case(shenzhen_epi, region="440304")  # one region only: Shenzhen's
    both = ("report_region__code", "residence_region__code")
    cases = Case.objects.all()
    assert set(scoped(shenzhen_epi, cases, both)) == {case, other}
    assert list(scoped(dongguan, cases, both)) == [case]
    assert list(scoped(guangzhou_epi, cases, both)) == []
    assert list(scoped(dongguan, cases, "report_region__code")) == []  # one field: as before
    assert in_scope(dongguan, case.report_region_id, case.residence_region_id)
    assert in_scope(shenzhen_epi, case.report_region_id, case.residence_region_id)
    assert not in_scope(guangzhou_epi, case.report_region_id, case.residence_region_id)
    assert not in_scope(guangzhou_epi) and not in_scope(dongguan, None, "")
    assert get_in_scope_or_404(dongguan, cases, both, pk=case.pk) == case
    with pytest.raises(Http404):
        get_in_scope_or_404(dongguan, cases, both, pk=other.pk)
    refusals = AuditEvent.objects.filter(action=AuditEvent.Action.ACCESS_REFUSED)
    before = refusals.count()
    for pk in (case.pk, other.pk, 2**62):
        with pytest.raises(Http404):
            get_in_scope_or_404(guangzhou_epi, cases, both, pk=pk)
    assert refusals.count() > before
    with pytest.raises(ValueError):
        scoped(shenzhen_epi, cases, ())
