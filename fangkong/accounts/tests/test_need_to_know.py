"""Need to know (issue 13): every URL, page and API alike, called as every role, answers only what the matrix
lets that role read; and nothing any role without the reveal capability is shown rebuilds an identifier.

The URL patterns come from the resolver (the machinery of the scope test, ``test_scope_everywhere``): a new
endpoint is walked the moment it exists, and one without a declaration of what it shows fails here. All
users act in Shenzhen, where the data lies, so region scope lets everything through: what is refused is
refused by the matrix. Each category has markers only it carries (names, addresses, masks and birth dates
are named data; case and contact numbers pseudonymised rows; the other site's name the aggregates of a site
the reporter does not report for; an audit reason the audit trail; the clear numbers identifiers).
"""

from __future__ import annotations

import datetime as dt
import itertools
import re

import pytest
from django.urls import reverse
from django.utils.module_loading import import_string

from fangkong.accounts.access import PUBLIC, access_policy_of
from fangkong.accounts.need_to_know import (
    MODULE_REACHES,
    NEED_TO_KNOW,
    PERSON_LEVELS,
    READ_CAPABILITIES,
    Category,
    Reach,
    endpoint_allows,
    pending_reaches,
    reaches,
    role_reach,
    shows_of,
)
from fangkong.accounts.roles import Capability, Role
from fangkong.api.tests.test_scope_everywhere import PLATFORM_URL_VALUES, distinct, iter_patterns
from fangkong.audit.models import AuditEvent
from fangkong.audit.services import audit_record
from fangkong.bulletins.models import Bulletin
from fangkong.bulletins.services import bulletin_generate
from fangkong.cases.models import Case, Cluster, Contact, ImportJob, RiskArea
from fangkong.cases.services import cluster_create
from fangkong.cases.tests.builders import make_case, make_contact
from fangkong.modules import capability_grants, installed_modules, role_capabilities
from fangkong.persons.citizen_id import check_character
from fangkong.surveillance.models import Alert, SentinelReport, SentinelSite
from fangkong.surveillance.summaries import site_indicator_counts_refresh
from fangkong.surveillance.tests.builders import make_shenzhen_surveillance
from fangkong.testing.builders import make_person, make_user

BORN = dt.date(1987, 6, 5)
PEOPLE = [  # name, address region, citizen ID region, phone, address text
    ("需知测试甲", "440303", "440303", "13912349731", "需知路甲8号"),
    ("需知测试乙", "440304", "440304", "13787659732", "需知路乙9号"),
    ("需知测试丙", "440304", "430102", "13687659733", "需知路丙7号"),  # registered in Changsha, lives in Futian
]
OTHER_SITE = "需知测试他哨点"
AUDIT_REASON = "需知测试审计原因"
ROLE_REGION = {Role.PROVINCIAL_COMMANDER: "440000", Role.SENTINEL_REPORTER: "440304"}


def an_id(region: str, seq: int) -> str:
    first17 = f"{region}{BORN:%Y%m%d}{seq:03d}"
    return first17 + check_character(first17)


@pytest.fixture
def world(shenzhen_epi):
    """Shenzhen's persons, a case, a contact, a cluster, an exposure, a risk area, an import job, two Futian
    sentinel sites (one the reporter's), a site-level alert, a bulletin, an audit event; one user per role."""
    persons = []
    for i, (name, region, id_region, phone, address) in enumerate(PEOPLE):
        persons.append(make_person(shenzhen_epi, name=name, region=region, phone=phone, cid=an_id(id_region, 971 + 2 * i),
                                   birth_date=BORN, address_text=address))
    case = make_case(shenzhen_epi, region="440303", person=persons[0])
    contact = make_contact(shenzhen_epi, source_case=case, region="440304", person=persons[1])
    make_contact(shenzhen_epi, source_case=case, region="440304", person=persons[2])
    cluster_create(actor=shenzhen_epi, name="需知测试聚集", region="440300", cases=[case])
    RiskArea.objects.create(region_id="440304", area_name="需知测试小区", level="high", designated_from=case.report_date)
    ImportJob.objects.create(kind="cases", file_name="需知导入.csv", data=b"", created_by=shenzhen_epi,
                             status=ImportJob.Status.FAILED, errors=[{"row": 2, "column": "name", "message": "x"}])
    make_shenzhen_surveillance()
    own = SentinelSite.objects.get(code="SZTEST1")
    other = SentinelSite.objects.create(code="SZTEST2", name=OTHER_SITE, kind="pharmacy", region_id="440304")
    other.indicators.set(own.indicators.all())
    site_indicator_counts_refresh([other.pk])  # written around the services: the writer refreshes
    fever = own.indicators.first()
    Alert.objects.create(level="site", region_id="440304", site=own, unit_key=f"site:{own.pk}", indicator=fever,
                         method="ears_c2", first_day=dt.date(2022, 3, 10), last_day=dt.date(2022, 3, 10),
                         peak_observed=9, raised_at=case.reported_at)
    bulletin_generate(actor=shenzhen_epi, region_code="440300", day=dt.date(2022, 3, 10), language="zh-hans")
    audit_record(actor=shenzhen_epi, action=AuditEvent.Action.REVEAL, object_type="persons.person",
                 object_id=str(persons[0].pk), region_code="440303", reason=AUDIT_REASON)
    users = {role: make_user(f"ntk_{role}", (ROLE_REGION.get(role, "440300"), role)) for role in Role.values}
    own.reporters.add(users[Role.SENTINEL_REPORTER])
    ids = [an_id(p[2], 971 + 2 * i) for i, p in enumerate(PEOPLE)]
    markers = {
        Category.IDENTIFIERS: [*ids, *(p[3] for p in PEOPLE), *("+86" + p[3] for p in PEOPLE)],
        Category.NAMED: [*(p[0] for p in PEOPLE), *(p[4] for p in PEOPLE), BORN.isoformat(),
                         *(p.citizen_id_masked for p in persons), *(p.phone_masked for p in persons)],
        Category.PSEUDONYMISED: [case.case_no, contact.contact_no, "需知测试聚集"],
        Category.AUDIT: [AUDIT_REASON],
    }
    return {"persons": persons, "ids": ids, "users": users, "markers": markers, "case": case, "own": own,
            "module_values": module_records(shenzhen_epi)}


#: Modules whose records the world above builds itself; every other module brings its scope-test records.
WORLD_MODULES = frozenset({"persons", "cases", "surveillance", "bulletins"})


def module_records(actor) -> dict[str, list[str]]:
    """The URL parameter values of the other modules' Shenzhen records (their ``scope_records``): their
    pages and API are walked with ids that reach them."""
    values: dict[str, list[str]] = {}
    for module in installed_modules():
        if module.scope_records and module.label not in WORLD_MODULES:
            for name, tried in import_string(module.scope_records)(actor).items():
                values.setdefault(name, []).extend(tried)
    return values


def url_values(persons, module_values: dict[str, list[str]] | None = None) -> dict[str, list[str]]:
    """The URL parameter values of the world's records (and the platform's: region codes, slugs, formats)."""
    def ids(model) -> list[str]:
        return [str(pk) for pk in model.objects.values_list("pk", flat=True)]

    values = {name: list(tried) for name, tried in PLATFORM_URL_VALUES.items()}
    values.update({
        "person_id": [str(p.pk) for p in persons], "case_id": ids(Case), "contact_id": ids(Contact),
        "cluster_id": ids(Cluster), "area_id": ids(RiskArea), "job_id": ids(ImportJob), "alert_id": ids(Alert),
        "bulletin_id": ids(Bulletin),
    })
    values["pk"] = [*values["person_id"], *values["case_id"], *values["contact_id"], *values["cluster_id"],
                    *values["area_id"], *values["alert_id"], *ids(SentinelSite), *ids(SentinelReport),
                    *values["bulletin_id"]]
    for name, tried in (module_values or {}).items():
        values.setdefault(name, []).extend(v for v in tried if v not in values[name])
    return values


def paths_for_world(persons, module_values: dict[str, list[str]] | None = None) -> list[tuple[str, str, object]]:
    """(URL name, path, view) for every pattern, with one id of each kind where the walk can tell the kind;
    each distinct path once."""
    values = url_values(persons, module_values)
    kinds = {  # the ids a pattern's "pk" stands for, by the start of its name
        "api:person": [str(persons[0].pk)], "cases-api:case": values["case_id"][:1],
        "cases-api:contact": values["contact_id"][:1], "cases-api:cluster": values["cluster_id"][:1],
        "cases-api:risk-area": values["area_id"][:1], "cases-api:import-job": values["job_id"][:1],
        "surveillance-api:alert": values["alert_id"], "bulletins-api:bulletin": values["bulletin_id"][:1],
        "surveillance-api:site": [str(pk) for pk in SentinelSite.objects.values_list("pk", flat=True)],
    }
    found = []
    for namespace, pattern in iter_patterns():
        name = f"{namespace}{pattern.name}"
        names = list(pattern.pattern.regex.groupindex)
        choices = []
        for arg in names:
            if arg == "pk":
                kind = next((v for k, v in kinds.items() if name.startswith(k)), None)
                choices.append(kind if kind is not None else values["pk"])
            else:
                assert arg in values, f"teach this test which values to try for URL parameter {arg} of {name}"
                choices.append(values[arg] if arg not in ("person_id", "case_id", "contact_id", "cluster_id",
                                                          "bulletin_id") else values[arg][:2])
        for combo in itertools.product(*map(distinct, choices)):  # ids are shared between tables: each once
            try:
                found.append((name, reverse(name, kwargs=dict(zip(names, combo, strict=True)) or None),
                              pattern.callback))
            except Exception:  # noqa: BLE001, S112 (a value the converter refuses: not a path of this pattern)
                continue
    return distinct(found)  # and each (name, path) once: a repeat is the same request again


def body_of(response) -> str:
    body = b"".join(response) if response.streaming else response.content
    return body.decode("utf-8", errors="replace")


def forbidden_markers(user, world) -> list[str]:
    """The markers of every category the user may not read (person levels: above its own)."""
    out = []
    for category, markers in world["markers"].items():
        # a person category read through a module reach only (own samples, assigned sites, own enterprises)
        # does not reach the world's persons: none of them is a sample, an assignment or an employer's staff
        region_wide = any(reach == Reach.REGION for _code, reach in reaches(user, category))
        if not region_wide:
            out.extend(markers)
    if not any(reach == Reach.REGION for _code, reach in reaches(user, Category.AGGREGATES)):
        out.append(OTHER_SITE)  # a site-reach reader sees its own sites only
    return out


# --- the declaration itself --------------------------------------------------------------------------------


def test_every_endpoint_declares_what_it_shows():
    missing = []
    for namespace, pattern in iter_patterns():
        if access_policy_of(pattern.callback) == PUBLIC:
            continue
        methods = list(getattr(pattern.callback, "actions", {}) or {"get": None, "post": None})
        for method in methods:
            if shows_of(pattern.callback, method) is None:
                missing.append(f"{method.upper()} {namespace}{pattern.name}")
    assert missing == [], "endpoints that do not declare what they show: " + ", ".join(missing)


def test_the_matrix_covers_every_role_and_capabilities_stay_within_its_writes():
    assert set(NEED_TO_KNOW) == set(Role.values)
    categories = {grant.code: grant.category for grant in capability_grants()}
    known = {Category.REFERENCE, Category.AGGREGATES, *PERSON_LEVELS, Category.AUDIT}
    assert set(categories.values()) <= known, categories  # every capability names a category of the matrix
    pending = pending_reaches()
    for role, capabilities in role_capabilities().items():
        grant = NEED_TO_KNOW[role]
        for capability in capabilities:
            category = categories[capability]
            held = grant.reads if capability in READ_CAPABILITIES else grant.writes
            assert category in held and held[category] not in pending, (role, capability)
    # The defaults of the issue, spelled out.
    assert NEED_TO_KNOW[Role.ANALYST].reads.get(Category.NAMED) is None
    assert NEED_TO_KNOW[Role.SENTINEL_REPORTER].reads == {Category.REFERENCE: Reach.REGION,
                                                          Category.AGGREGATES: Reach.OWN_SITES}
    for role in (Role.EPIDEMIOLOGIST, Role.PROVINCIAL_COMMANDER, Role.LOCAL_COMMANDER):
        assert NEED_TO_KNOW[role].reads[Category.NAMED] == Reach.REGION
    # Roles without person data region-wide: what they read of persons, they read through a module reach only
    # (the persons of a laboratory's own samples, of a manager's own sites), served once a module declares it
    # (ModuleConfig.served_reaches) and nothing until then.
    for role in (Role.LABORATORY, Role.QUARANTINE_MANAGER, Role.COMMUNITY_WORKER, Role.INSPECTOR,
                 Role.SYSTEM_ADMINISTRATOR, Role.ENTERPRISE_CONTACT):
        person_reads = {level: reach for level, reach in NEED_TO_KNOW[role].reads.items() if level in PERSON_LEVELS}
        assert set(person_reads.values()) <= MODULE_REACHES, role
        for level, reach in person_reads.items():
            assert (role_reach(role, level) == reach) is (reach not in pending), (role, level)


# --- every URL as every role -------------------------------------------------------------------------------


#: The positive controls of the walk (it is not blind): markers each really shown to a role that may read it.
SHOWN_TO = {Role.EPIDEMIOLOGIST: lambda markers: markers[Category.NAMED][:3],
            Role.ANALYST: lambda markers: markers[Category.PSEUDONYMISED],
            Role.INSPECTOR: lambda markers: [OTHER_SITE], Role.SYSTEM_ADMINISTRATOR: lambda markers: [AUDIT_REASON]}


@pytest.mark.walk
@pytest.mark.parametrize("role", Role.values)  # one walk per role: the parts run side by side under xdist
def test_every_role_receives_only_what_it_may_read(client, world, role):
    """One walk of every URL as the role answers both questions: nothing of a category the role may not
    read, and — for the roles that may not reveal — nothing shown together that rebuilds an identifier or a
    phone number (``rebuilt_from``). Each role walks its own fresh world."""
    paths = paths_for_world(world["persons"], world["module_values"])
    names = {name for name, _path, _view in paths}
    assert {"web:person-detail", "api:person-detail", "api:person-reveal", "cases:case-list", "cases:case-export",
            "cases-api:case-detail", "cases-api:contact-list", "cases:cluster-graph", "surveillance:alert-list",
            "surveillance-api:site-list", "dashboard:region", "web:audit-list", "bulletins:detail"} <= names
    non_revealers = {r for r in Role.values if Capability.PERSON_REVEAL not in role_capabilities().get(r, ())}
    assert {Role.ANALYST, Role.SENTINEL_REPORTER, Role.INSPECTOR, Role.LABORATORY} <= non_revealers
    assert set(world["users"]) == set(Role.values)
    seen: set[str] = set()
    rebuilt = []
    user = world["users"][role]
    forbidden = forbidden_markers(user, world)
    client.force_login(user)
    for name, path, view in paths:
        for method in ("get", "post"):
            declared = shows_of(view, method)
            response = getattr(client, method)(path, follow=False)
            if name == "web:logout":
                client.force_login(user)
            assert response.status_code < 500, f"{role}: {method.upper()} {path} ({name}) failed"
            text = body_of(response)
            if access_policy_of(view) != PUBLIC and declared is not None and not endpoint_allows(user, declared):
                assert response.status_code == 403, \
                    f"{role} may not read {declared.category}, yet {method.upper()} {path} answered {response.status_code}"
            # The audit trail names the objects acted on by their numbers (its category includes them).
            allowed = world["markers"][Category.PSEUDONYMISED] if declared and declared.category == Category.AUDIT \
                else []
            for marker in forbidden:
                if marker in allowed:
                    continue
                assert marker not in text, f"{method.upper()} {path} ({name}) shows {marker!r} to a {role}"
            if role in non_revealers:
                rebuilt.extend((role, name, number) for number in rebuilt_from(text, world))
            if response.status_code == 200:
                seen.update(m for ms in world["markers"].values() for m in ms if m in text)
                if OTHER_SITE in text:
                    seen.add(OTHER_SITE)
    assert rebuilt == []
    # Positive controls: each marker is really shown to a role that may read it (the walk is not blind).
    markers = world["markers"]
    if role in SHOWN_TO:
        assert set(SHOWN_TO[role](markers)) <= seen
    if role == Role.EPIDEMIOLOGIST:
        revealed = _as(client, user).post(reverse("api:person-reveal", kwargs={"pk": world["persons"][0].pk}),
                                          {"reason": "流调电话核实身份，需要完整号码"})
        assert markers[Category.IDENTIFIERS][0] in body_of(revealed)  # identifiers in clear: by an audited reveal
        assert rebuilt_from(body_of(revealed), world)  # and the rebuild check sees a number shown in clear
    if role == Role.SENTINEL_REPORTER:
        assert "福田测试哨点" in body_of(_as(client, user).get(reverse("surveillance-api:site-list")))


def _as(client, user):
    client.force_login(user)
    return client


def test_the_analyst_gets_sex_and_age_band_instead_of_names(client, world):
    client.force_login(world["users"][Role.ANALYST])
    body = client.get(reverse("cases-api:case-detail", kwargs={"pk": world["case"].pk})).json()
    assert (body["person_name"], body["citizen_id_masked"], body["sex"]) == ("", "", world["persons"][0].sex)
    assert re.fullmatch(r"\d0–\d9|80\+", body["age_band"])
    page = body_of(client.get(reverse("cases:case-list")))
    assert world["case"].case_no in page and body["age_band"] in page and PEOPLE[0][0] not in page
    # A name search finds nothing for a reader who may not read names (it would say who is a case).
    assert world["case"].case_no not in body_of(client.get(reverse("cases:case-list"), {"q": PEOPLE[0][0]}))


# --- nothing shown rebuilds an identifier ------------------------------------------------------------------

MASK = re.compile(r"(?<![\d*])[\d*]{17}[\dX*](?![\d*X])")
PHONE_MASK = re.compile(r"\+86 ?[\d*]{11}")


def date_forms(day: dt.date) -> list[str]:
    return [day.isoformat(), f"{day:%Y%m%d}", f"{day:%Y/%m/%d}", f"{day.year}年{day.month}月{day.day}日"]


def candidates_left(text: str, real: str) -> int:
    """How many citizen IDs stay possible for ``real`` from what ``text`` shows together (fewest over its masks)."""
    if real in text:
        return 1
    fewest = 10 ** 11
    for mask in MASK.findall(text):
        if "*" not in mask or any(m != "*" and m != r for m, r in zip(mask, real, strict=True)):
            continue  # not a mask of this number
        known = [m != "*" for m in mask]
        if real[:6] in text:
            known[0:6] = [True] * 6
        if any(form in text for form in date_forms(BORN)):
            known[6:14] = [True] * 8
        if re.search(rf"(?<!\d){real[14:17]}(?!\d)", text):
            known[14:17] = [True] * 3
        unknown = sum(1 for k in known[:17] if not k)
        left = 10 ** unknown // (2 if not known[16] else 1)  # the sex shown fixes the parity of the 17th digit
        fewest = min(fewest, max(left, 1))
    return fewest


def phone_candidates_left(text: str, national: str) -> int:
    if national in text:
        return 1
    fewest = 10 ** 11
    for mask in PHONE_MASK.findall(text):
        digits = mask.replace("+86", "").strip()
        if any(m != "*" and m != r for m, r in zip(digits, national, strict=True)):
            continue
        fewest = min(fewest, 10 ** digits.count("*"))
    return fewest


def rebuilt_from(text: str, world) -> list[str]:
    """The citizen IDs and phone numbers of the world that ``text`` leaves fewer than 100 candidates for
    (checked on every answer to a role without reveal, in the walk above)."""
    numbers = [real for real in world["ids"] if candidates_left(text, real) < 100]
    return numbers + [phone for _n, _r, _i, phone, _a in PEOPLE if phone_candidates_left(text, phone) < 100]


def test_what_named_readers_see_does_not_rebuild_an_identifier_either(client, world):
    """The revealing roles see names, birth dates and masks: the mask still leaves hundreds of numbers (their
    clear values come only from an audited reveal or export)."""
    person = world["persons"][0]
    client.force_login(world["users"][Role.EPIDEMIOLOGIST])
    texts = [body_of(client.get(path)) for path in (
        reverse("web:person-detail", kwargs={"person_id": person.pk}), reverse("web:person-list"),
        reverse("api:person-detail", kwargs={"pk": person.pk}), reverse("api:person-list"),
        reverse("cases:case-detail", kwargs={"case_id": world["case"].pk}), reverse("cases:case-list"))]
    together = "\n".join(texts)
    assert PEOPLE[0][0] in together and BORN.isoformat() in together and world["ids"][0][:6] in together
    for real in world["ids"]:
        assert candidates_left(together, real) >= 100, real
    for _name, _region, _id_region, phone, _address in PEOPLE:
        assert phone_candidates_left(together, phone) >= 100
    # The six region digits only where the reader may see that region: not Changsha's for a Shenzhen reader.
    stranger = world["persons"][2]
    page = body_of(client.get(reverse("web:person-detail", kwargs={"person_id": stranger.pk})))
    assert "430102" not in page and "*" * 18 in page


def test_the_attack_of_the_issue_would_be_caught():
    """Control of the rebuild check: the old mask beside the birth date gives the number back."""
    real = an_id("440303", 971)
    old_page = f"{real[:6]}{'*' * 8}{real[-4:]} {BORN.isoformat()}"
    assert candidates_left(old_page, real) < 100
    assert candidates_left(f"{real[:6]}{'*' * 12} {BORN.isoformat()} ", real) >= 100
    assert phone_candidates_left("tel. 13912349731", "13912349731") == 1
    assert phone_candidates_left("+86 *******9731", "13912349731") == 10 ** 7

