"""Pages and API of sentinel surveillance: the reporter reports only for its own site; a county user sees
only its county's alerts; lifecycle buttons; timeliness; late and missing reports; import."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from fangkong.surveillance.models import Alert, AlertTransition, DetectionConfig, SentinelReport, Signal
from fangkong.surveillance.summaries import reporting_summary_refresh

DAY = dt.date(2022, 3, 10)


def make_alert(region: str, indicator, *, raised_hours_ago: float = 5, day=DAY, **extra) -> Alert:
    alert = Alert.objects.create(level="county", region_id=region, unit_key=f"region:{region}", indicator=indicator,
                                 method="ears_c2", first_day=day, last_day=day, peak_observed=50,
                                 raised_at=timezone.now() - dt.timedelta(hours=raised_hours_ago), **extra)
    Signal.objects.create(alert=alert, level="county", region_id=region, unit_key=f"region:{region}",
                          indicator=indicator, day=day, observed=50, threshold=30, method="ears_c2")
    return alert


@pytest.fixture
def alerts(indicators):
    fever = indicators["fever_clinic_visits"]
    return {"futian": make_alert("440304", fever), "luohu": make_alert("440303", fever)}


# ---------------------------------------------------------------- reporter


def test_the_report_form_offers_only_the_reporters_site(client, futian_reporter, futian_site, futian_other_site):
    client.force_login(futian_reporter)
    page = client.get(reverse("surveillance:report")).content.decode()
    assert futian_site.name in page and futian_other_site.name not in page
    assert "ili_consultations" in page  # one field per indicator of the site


def test_the_report_form_saves_all_counts_of_the_day(client, futian_reporter, futian_site):
    client.force_login(futian_reporter)
    response = client.post(reverse("surveillance:report"), {
        "site": futian_site.pk, "date": "2022-03-01", "count-fever_clinic_visits": "12",
        "count-ili_consultations": "4", "denominator-ili_consultations": "180"})
    assert response.status_code == 302
    assert dict(SentinelReport.objects.values_list("indicator__code", "count")) == {
        "fever_clinic_visits": 12, "ili_consultations": 4}


def test_one_bad_count_on_the_form_saves_nothing_and_keeps_the_input(client, futian_reporter, futian_site):
    client.force_login(futian_reporter)
    response = client.post(reverse("surveillance:report"), {
        "site": futian_site.pk, "date": "2022-03-01", "count-fever_clinic_visits": "12",
        "count-ili_consultations": "-3"})
    assert response.status_code == 400
    page = response.content.decode()
    assert 'value="12"' in page and 'value="-3"' in page
    assert SentinelReport.objects.count() == 0


def test_a_future_date_on_the_form_is_refused(client, futian_reporter, futian_site):
    client.force_login(futian_reporter)
    tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    response = client.post(reverse("surveillance:report"), {
        "site": futian_site.pk, "date": tomorrow, "count-fever_clinic_visits": "12"})
    assert response.status_code == 400
    assert SentinelReport.objects.count() == 0


def test_the_form_refuses_another_site(client, futian_reporter, futian_other_site):
    client.force_login(futian_reporter)
    response = client.post(reverse("surveillance:report"), {
        "site": futian_other_site.pk, "date": "2022-03-01", "count-fever_clinic_visits": "12"})
    assert response.status_code == 404
    for site in ("abc", "", "-1", None):  # not a site the sheet offers: not guessed from the address or the list
        form = {"date": "2022-03-01", "count-fever_clinic_visits": "12", **({} if site is None else {"site": site})}
        assert client.post(reverse("surveillance:report"), form).status_code == 404
    assert SentinelReport.objects.count() == 0


def test_a_malformed_day_keeps_the_sheet_of_the_posted_site_and_saves_nothing(client, futian_reporter, futian_site):
    client.force_login(futian_reporter)
    response = client.post(reverse("surveillance:report"), {
        "site": futian_site.pk, "date": "2022-02-30", "count-fever_clinic_visits": "12"})
    assert response.status_code == 400 and response.context["site"] == futian_site
    assert 'aria-invalid="true"' in response.content.decode() and SentinelReport.objects.count() == 0


def test_the_api_takes_a_report_and_a_correction(client, futian_reporter, futian_site):
    client.force_login(futian_reporter)
    url = reverse("surveillance-api:report-list")
    body = {"site": futian_site.pk, "indicator": "fever_clinic_visits", "date": "2022-03-01", "count": 12}
    assert client.post(url, body, content_type="application/json").status_code == 201
    response = client.post(url, {**body, "count": 14}, content_type="application/json")
    assert response.status_code == 200 and response.json()["corrected"] is True
    assert SentinelReport.objects.get().count == 14


def test_the_api_refuses_another_site_and_bad_input(client, futian_reporter, futian_site, futian_other_site):
    client.force_login(futian_reporter)
    url = reverse("surveillance-api:report-list")
    body = {"site": futian_other_site.pk, "indicator": "fever_clinic_visits", "date": "2022-03-01", "count": 12}
    assert client.post(url, body, content_type="application/json").status_code == 403
    bad = client.post(url, {**body, "site": futian_site.pk, "count": -1}, content_type="application/json")
    assert bad.status_code == 400 and "count" in bad.json()["error"]["fields"]
    unknown = client.post(url, {**body, "site": 999999}, content_type="application/json")
    assert unknown.status_code == 400 and "site" in unknown.json()["error"]["fields"]
    assert SentinelReport.objects.count() == 0


# ---------------------------------------------------------------- county scope


def test_a_county_user_sees_only_its_countys_alerts(client, futian_commander, alerts):
    client.force_login(futian_commander)
    page = client.get(reverse("surveillance:alert-list")).content.decode()
    assert reverse("surveillance:alert-detail", args=[alerts["futian"].pk]) in page
    assert reverse("surveillance:alert-detail", args=[alerts["luohu"].pk]) not in page
    api = client.get(reverse("surveillance-api:alert-list")).json()
    assert [a["id"] for a in api["results"]] == [alerts["futian"].pk]


def test_another_countys_alert_is_not_found_on_pages_and_api(client, futian_commander, alerts):
    client.force_login(futian_commander)
    luohu = alerts["luohu"].pk
    for url in (reverse("surveillance:alert-detail", args=[luohu]), reverse("surveillance:alert-series", args=[luohu]),
                reverse("surveillance-api:alert-detail", args=[luohu]),
                reverse("surveillance-api:alert-series", args=[luohu])):
        assert client.get(url).status_code == 404, url
    for url in (reverse("surveillance:alert-transition", args=[luohu]),
                reverse("surveillance-api:alert-transition", args=[luohu])):
        assert client.post(url, {"status": "acknowledged"}).status_code == 404, url
    assert Alert.objects.get(pk=luohu).status == "new"


def test_the_city_sees_both_counties_and_can_filter(client, shenzhen_epi, alerts):
    client.force_login(shenzhen_epi)
    assert len(client.get(reverse("surveillance-api:alert-list")).json()["results"]) == 2
    only = client.get(reverse("surveillance-api:alert-list"), {"region": "440303"}).json()
    assert [a["id"] for a in only["results"]] == [alerts["luohu"].pk]
    page = client.get(reverse("surveillance:alert-list"), {"status": "acknowledged"}).content.decode()
    assert reverse("surveillance:alert-detail", args=[alerts["futian"].pk]) not in page
    assert "福田" in client.get(reverse("surveillance:alert-detail", args=[alerts["futian"].pk])).content.decode()


def test_the_alert_list_page_and_api_run_a_fixed_number_of_queries(client, shenzhen_epi, indicators,
                                                                    django_assert_max_num_queries):
    for n in range(30):
        make_alert("440304", indicators["fever_clinic_visits"], day=DAY - dt.timedelta(days=2 * n))
    client.force_login(shenzhen_epi)
    with django_assert_max_num_queries(12):
        assert client.get(reverse("surveillance:alert-list")).status_code == 200
    with django_assert_max_num_queries(8):
        assert client.get(reverse("surveillance-api:alert-list")).status_code == 200


def test_the_alert_list_pages_without_counting(client, shenzhen_epi, indicators):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"  # the text asserted below is English
    made = [make_alert("440304", indicators["fever_clinic_visits"], day=DAY - dt.timedelta(days=2 * n)).pk
            for n in range(30)]
    client.force_login(shenzhen_epi)
    first = client.get(reverse("surveillance-api:alert-list"), {"limit": 20}).json()
    assert "count" not in first and first["previous"] is None and len(first["results"]) == 20
    second = client.get(first["next"]).json()
    assert len(second["results"]) == 10 and second["next"] is None and second["previous"]
    assert [a["id"] for a in first["results"] + second["results"]] == made  # newest first, each once
    seen, response = [], client.get(reverse("surveillance:alert-list"))
    while True:  # the page, 25 alerts a page, by its "next" links
        page = response.context["page"]
        assert page.count is None  # uncounted
        seen += [a.pk for a in page]
        if not page.has_next:
            break
        response = client.get(reverse("surveillance:alert-list"), {"cursor": page.next_cursor})
    assert seen == made and response.content.decode().count('href="/surveillance/alerts/') == 5
    assert 'rel="prev"' in response.content.decode() and 'rel="next"' not in response.content.decode()


# ---------------------------------------------------------------- lifecycle


def test_the_lifecycle_buttons_step_the_alert(client, futian_commander, alerts):
    client.force_login(futian_commander)
    futian = alerts["futian"]
    url = reverse("surveillance:alert-transition", args=[futian.pk])
    response = client.post(url, {"status": "acknowledged", "version": "0"}, headers={"HX-Request": "true"})
    assert response.status_code == 200 and 'value="investigating"' in response.content.decode()
    futian.refresh_from_db()
    assert futian.status == "acknowledged" and futian.acknowledged_by == futian_commander
    wrong = client.post(url, {"status": "closed"}, headers={"HX-Request": "true"})
    assert wrong.status_code == 400
    stale = client.post(url, {"status": "investigating", "version": "0"}, headers={"HX-Request": "true"})
    assert stale.status_code == 409
    futian.refresh_from_db()
    assert futian.status == "acknowledged"


def test_an_analyst_sees_no_buttons_and_cannot_step(client, analyst, alerts):
    client.force_login(analyst)
    futian = alerts["futian"]
    page = client.get(reverse("surveillance:alert-detail", args=[futian.pk])).content.decode()
    assert 'name="status"' not in page
    response = client.post(reverse("surveillance-api:alert-transition", args=[futian.pk]), {"status": "acknowledged"})
    assert response.status_code == 403
    assert not AlertTransition.objects.exists()


def test_the_api_transition_and_detail(client, futian_commander, alerts):
    client.force_login(futian_commander)
    futian = alerts["futian"]
    url = reverse("surveillance-api:alert-transition", args=[futian.pk])
    assert client.post(url, {"status": "acknowledged", "note": "已电话核实"}).json()["status"] == "acknowledged"
    assert client.post(url, {"status": "acknowledged", "version": 0}).status_code == 409
    detail = client.get(reverse("surveillance-api:alert-detail", args=[futian.pk])).json()
    assert detail["transitions"][0]["note"] == "已电话核实" and detail["signals"][0]["observed"] == 50


def test_the_series_of_an_alert(client, futian_commander, indicators, futian_site):
    from fangkong.surveillance.services import detection_run
    from fangkong.surveillance.tests.conftest import END, fill_series

    fill_series(futian_site, indicators["fever_clinic_visits"], spike_days=1, spike=90)
    detection_run(first=END, last=END)
    alert = Alert.objects.get(unit_key="region:440304")
    client.force_login(futian_commander)
    series = client.get(reverse("surveillance:alert-series", args=[alert.pk])).json()
    at = series["dates"].index(str(END))
    assert series["observed"][at] == 90 and series["observed"][at - 1] < 50
    assert series["alarm"][at] is True and series["threshold"][at] < 90


# ---------------------------------------------------------------- timeliness, reporting, import, config


def test_timeliness_against_targets(client, shenzhen_epi, futian_commander, alerts):
    from fangkong.surveillance.services import alert_transition

    futian = alerts["futian"]
    alert_transition(actor=futian_commander, alert=futian, to_status="acknowledged",
                     at=futian.raised_at + dt.timedelta(hours=1))
    client.force_login(shenzhen_epi)
    today = timezone.localdate()
    data = client.get(reverse("surveillance-api:timeliness"), {"region": "440300", "first": str(today - dt.timedelta(
        days=6)), "last": str(today)}).json()
    assert data["target"]["acknowledge_hours"] == 2.0
    assert data["total"]["alerts"] == 2 and data["total"]["response_rate"] == 0.5
    assert data["total"]["median_acknowledge_hours"] == 1.0 and data["total"]["acknowledged_in_target_share"] == 0.5
    rows = {r["region"]: r for r in data["rows"]}
    assert rows["440304"]["response_rate"] == 1.0 and rows["440303"]["response_rate"] == 0.0
    page = client.get(reverse("surveillance:timeliness"), {"region": "440300"})
    assert page.status_code == 200 and "罗湖" in page.content.decode()


def test_timeliness_of_another_city_is_not_found(client, guangzhou_epi, alerts):
    client.force_login(guangzhou_epi)
    assert client.get(reverse("surveillance-api:timeliness"), {"region": "440300"}).status_code == 404


def test_late_and_missing_reports(client, shenzhen_epi, futian_site, luohu_site, indicators):
    fever = indicators["fever_clinic_visits"]
    on_time = dt.datetime.combine(DAY + dt.timedelta(days=1), dt.time(9), tzinfo=timezone.get_current_timezone())
    SentinelReport.objects.create(site=futian_site, indicator=fever, date=DAY, count=3, region_id="440304",
                                  reported_at=on_time)
    SentinelReport.objects.create(site=luohu_site, indicator=fever, date=DAY, count=3, region_id="440303",
                                  reported_at=on_time + dt.timedelta(days=2))
    reporting_summary_refresh([(futian_site.pk, DAY), (luohu_site.pk, DAY)])  # written around the services
    client.force_login(shenzhen_epi)
    data = client.get(reverse("surveillance-api:reporting"), {"region": "440300", "first": str(DAY),
                                                              "last": str(DAY)}).json()
    assert (data["expected"], data["received"], data["late"]) == (3, 2, 1)  # Futian reports two indicators
    sites = {s["site"]: s for s in data["sites"]}
    assert sites["FT1"]["missing"] == 1 and sites["LH1"]["late"] == 1
    page = client.get(reverse("surveillance:reporting"), {"region": "440300", "first": str(DAY), "last": str(DAY)})
    assert "LH1" in page.content.decode()


def test_import_page_all_or_nothing(client, shenzhen_epi, futian_site, luohu_site):
    client.force_login(shenzhen_epi)
    good = b"site,indicator,date,count,denominator\nFT1,fever_clinic_visits,2022-03-01,5,\n"
    response = client.post(reverse("surveillance:import"), {"file": SimpleUploadedFile("d.csv", good)})
    assert response.status_code == 302 and SentinelReport.objects.count() == 1
    bad = good + b"LH1,fever_clinic_visits,2099-01-01,5,\n"
    response = client.post(reverse("surveillance:import"), {"file": SimpleUploadedFile("d.csv", bad)})
    assert response.status_code == 400 and "row 2" in response.content.decode()
    assert SentinelReport.objects.count() == 1
    api = client.post(reverse("surveillance-api:report-import-file"), {"file": SimpleUploadedFile("d.csv", good)})
    assert api.json() == {"created": 0, "corrected": 0, "unchanged": 1}


def test_a_reporter_may_not_import(client, futian_reporter):
    client.force_login(futian_reporter)
    assert client.get(reverse("surveillance:import")).status_code == 403


def test_detection_config_api(client, province_commander, shenzhen_epi, indicators):
    config = DetectionConfig.objects.get(indicator__code="fever_clinic_visits", level="county")
    url = reverse("surveillance-api:detection-config-detail", args=[config.pk])
    client.force_login(shenzhen_epi)
    assert client.patch(url, {"enabled": False}, content_type="application/json").status_code == 403
    client.force_login(province_commander)
    response = client.patch(url, {"parameters": {"baseline": 14, "alpha": 0.01}}, content_type="application/json")
    assert response.status_code == 200 and response.json()["parameters"] == {"baseline": 14, "alpha": 0.01}
    bad = client.patch(url, {"parameters": {"baseline": 1}}, content_type="application/json")
    assert bad.status_code == 400
    config.refresh_from_db()
    assert config.parameters == {"baseline": 14, "alpha": 0.01}


def test_a_confirmed_alert_opens_one_cluster_investigation(client, futian_commander, alerts):
    from fangkong.cases.models import Cluster
    from fangkong.surveillance.services import alert_transition

    futian = alerts["futian"]
    client.force_login(futian_commander)
    url = reverse("surveillance:alert-cluster", args=[futian.pk])
    assert client.post(url).status_code == 302  # not confirmed yet: back to the alert, nothing opened
    assert not Cluster.objects.exists()
    for status in ("acknowledged", "investigating", "confirmed"):
        futian = alert_transition(actor=futian_commander, alert=futian, to_status=status)
    page = client.get(reverse("surveillance:alert-detail", args=[futian.pk])).content.decode()
    assert url in page
    response = client.post(url)
    cluster = Cluster.objects.get()
    assert response.url == reverse("cases:cluster-detail", args=[cluster.pk])
    assert cluster.region_id == "440304" and "福田" in cluster.name
    again = client.post(reverse("surveillance-api:alert-open-cluster", args=[futian.pk]))
    assert again.json()["cluster"] == cluster.pk and Cluster.objects.count() == 1


def test_another_countys_alert_opens_no_cluster(client, futian_commander, alerts):
    from fangkong.cases.models import Cluster

    client.force_login(futian_commander)
    assert client.post(reverse("surveillance:alert-cluster", args=[alerts["luohu"].pk])).status_code == 404
    assert not Cluster.objects.exists()


def test_response_targets_are_set_where_allowed_and_used(client, province_commander, shenzhen_epi, guangzhou_epi,
                                                         alerts):
    from fangkong.surveillance.models import ResponseTarget

    url = reverse("surveillance-api:response-target")
    body = {"region": "440300", "acknowledge_hours": 1, "verify_hours": 12, "response_rate": 0.99}
    client.force_login(guangzhou_epi)
    assert client.post(url, body).status_code == 404
    client.force_login(shenzhen_epi)  # a city epidemiologist: may configure in its city
    assert client.post(url, {**body, "response_rate": 2}).status_code == 400
    assert not ResponseTarget.objects.exists()
    assert client.post(url, body).json()["acknowledge_hours"] == 1
    assert client.get(url, {"region": "440304"}).json()["verify_hours"] == 12  # inherited by the county
    client.force_login(province_commander)
    assert client.get(url, {"region": "440100"}).json()["acknowledge_hours"] == 2.0  # the default elsewhere
    data = client.get(reverse("surveillance-api:timeliness"), {"region": "440300"}).json()
    assert data["target"]["response_rate"] == 0.99


def test_the_detection_page_changes_a_configuration_for_the_province_only(client, province_commander, shenzhen_epi,
                                                                           indicators):
    from fangkong.audit.models import AuditEvent

    config = DetectionConfig.objects.get(indicator__code="fever_clinic_visits", level="county")
    url = reverse("surveillance:detection")
    body = {"config": config.pk, "method": "ears_c3", "parameters": '{"baseline": 7, "alpha": 0.01}',
            "enabled": "on"}
    client.force_login(shenzhen_epi)
    page = client.get(url).content.decode()
    assert "EARS C2" in page and 'name="parameters"' not in page  # read-only for a city
    assert client.post(url, body).status_code == 403
    client.force_login(province_commander)
    assert client.post(url, {**body, "parameters": "{not json"}).status_code == 400
    assert client.post(url, {**body, "parameters": '{"baseline": 1}'}).status_code == 400
    config.refresh_from_db()
    assert config.method == "ears_c2"
    assert client.post(url, body).status_code == 302
    config.refresh_from_db()
    assert (config.method, config.parameters, config.enabled) == ("ears_c3", {"baseline": 7, "alpha": 0.01}, True)
    assert AuditEvent.objects.filter(object_type="surveillance.detectionconfig").count() == 1


def test_a_reports_detail_shows_what_its_corrections_replaced(client, futian_reporter, futian_site, luohu_commander):
    client.force_login(futian_reporter)
    url = reverse("surveillance-api:report-list")
    body = {"site": futian_site.pk, "indicator": "fever_clinic_visits", "date": "2022-03-01", "count": 12}
    report_id = client.post(url, body, content_type="application/json").json()["id"]
    client.post(url, {**body, "count": 15}, content_type="application/json")
    detail = client.get(reverse("surveillance-api:report-detail", args=[report_id])).json()
    assert detail["count"] == 15
    assert [(r["count"], r["replaced_by"]) for r in detail["revisions"]] == [(12, "ft_reporter")]
    client.force_login(luohu_commander)
    assert client.get(reverse("surveillance-api:report-detail", args=[report_id])).status_code == 404


def test_the_timeliness_page_sets_targets_where_allowed(client, shenzhen_epi, futian_commander, guangzhou_epi):
    from fangkong.surveillance.models import ResponseTarget

    url = reverse("surveillance:response-targets")
    body = {"region": "440300", "acknowledge_hours": "1.5", "verify_hours": "12", "response_rate_percent": "98"}
    client.force_login(guangzhou_epi)
    assert client.post(url, body).status_code == 404
    client.force_login(futian_commander)  # a county commander may not configure
    assert client.post(url, {**body, "region": "440304"}).status_code == 302
    assert client.post(url, {**body, "acknowledge_hours": "abc"}).status_code == 404  # Shenzhen: outside Futian
    assert not ResponseTarget.objects.exists()
    client.force_login(shenzhen_epi)
    page = client.get(reverse("surveillance:timeliness"), {"region": "440300"}).content.decode()
    assert 'name="acknowledge_hours"' in page
    assert client.post(url, {**body, "acknowledge_hours": "abc"}).status_code == 302
    assert not ResponseTarget.objects.exists()
    client.post(url, body)
    target = ResponseTarget.objects.get()
    assert (target.region_id, target.acknowledge_hours, target.response_rate) == ("440300", 1.5, 0.98)


# ---------------------------------------------------------------- case investigation from an alert


def _confirm(alert, actor):
    from fangkong.surveillance.services import alert_transition

    for status in ("acknowledged", "investigating", "confirmed"):
        alert = alert_transition(actor=actor, alert=alert, to_status=status)
    return alert


def test_a_confirmed_alert_opens_one_case_investigation_for_a_new_person(client, futian_commander, alerts):
    from fangkong.audit.models import AuditEvent
    from fangkong.cases.models import Case
    from fangkong.testing.builders import citizen_id

    futian = alerts["futian"]
    client.force_login(futian_commander)
    url = reverse("surveillance:alert-case", args=[futian.pk])
    cid = citizen_id("440304")
    body = {"citizen_id": cid, "name": "哨点病例", "onset_date": "2022-03-08"}
    assert client.post(url, body, HTTP_HX_REQUEST="true").status_code == 400  # not confirmed yet
    assert not Case.objects.exists()
    futian = _confirm(futian, futian_commander)
    assert url in client.get(reverse("surveillance:alert-detail", args=[futian.pk])).content.decode()
    response = client.post(url, body, HTTP_HX_REQUEST="true")
    case = Case.objects.get()
    assert response.status_code == 200 and response["HX-Redirect"] == reverse("cases:case-detail", args=[case.pk])
    assert (case.classification, case.report_region_id, case.onset_date) == ("suspected", "440304",
                                                                             dt.date(2022, 3, 8))
    assert case.person.name == "哨点病例"
    futian.refresh_from_db()
    assert futian.case_id == case.pk
    assert AuditEvent.objects.filter(object_type="surveillance.alert", object_id=str(futian.pk),
                                     detail__case=case.pk).exists()
    again = client.post(reverse("surveillance-api:alert-open-case", args=[futian.pk]), {"citizen_id": cid})
    assert again.json()["case"] == case.pk and Case.objects.count() == 1
    assert client.get(reverse("surveillance-api:alert-detail", args=[futian.pk])).json()["case"] == case.pk


def test_the_api_opens_a_case_for_a_registered_person_by_citizen_id(client, futian_commander, alerts):
    from fangkong.cases.models import Case
    from fangkong.testing.builders import citizen_id, make_person

    cid = citizen_id("440304")
    person = make_person(futian_commander, name="已登记", region="440304", cid=cid)
    futian = _confirm(alerts["futian"], futian_commander)
    client.force_login(futian_commander)
    url = reverse("surveillance-api:alert-open-case", args=[futian.pk])
    assert client.post(url, {"citizen_id": "440304199001011230"}).status_code == 400  # bad check character
    unknown = client.post(url, {"citizen_id": citizen_id("440304", born=dt.date(1985, 5, 5))})  # not registered, no name
    assert unknown.status_code == 400 and "name" in unknown.json()["error"]["fields"]
    assert client.post(url, {"citizen_id": cid, "onset_date": "2022-02-30"}).status_code == 400
    assert not Case.objects.exists()
    response = client.post(url, {"citizen_id": cid})
    assert response.status_code == 200
    assert Case.objects.get().person_id == person.pk


def test_no_case_investigation_without_the_capability_or_out_of_scope(client, futian_commander, analyst, alerts):
    from fangkong.cases.models import Case
    from fangkong.testing.builders import citizen_id

    futian = _confirm(alerts["futian"], futian_commander)
    luohu = _confirm(alerts["luohu"], make_user_with_role("lh_cmd", "440303"))
    body = {"citizen_id": citizen_id("440304"), "name": "某人"}
    client.force_login(analyst)  # in scope (province) but may not write cases
    detail = client.get(reverse("surveillance:alert-detail", args=[futian.pk])).content.decode()
    assert reverse("surveillance:alert-case", args=[futian.pk]) not in detail  # no form
    assert client.post(reverse("surveillance:alert-case", args=[futian.pk]), body,
                       HTTP_HX_REQUEST="true").status_code == 403
    assert client.post(reverse("surveillance-api:alert-open-case", args=[futian.pk]), body).status_code == 403
    client.force_login(futian_commander)  # Luohu's alert is out of scope
    assert client.post(reverse("surveillance:alert-case", args=[luohu.pk]), body).status_code == 404
    assert client.post(reverse("surveillance-api:alert-open-case", args=[luohu.pk]), body).status_code == 404
    assert not Case.objects.exists()


def make_user_with_role(username, region):
    from fangkong.accounts.roles import Role
    from fangkong.testing.builders import make_user

    return make_user(username, (region, Role.LOCAL_COMMANDER))


# ---------------------------------------------------------------- alert period filter, correction history


def test_the_alert_list_filters_by_a_period_of_alarming_days(client, shenzhen_epi, indicators):
    fever = indicators["fever_clinic_visits"]
    early = make_alert("440304", fever, day=dt.date(2022, 3, 1))
    late = make_alert("440303", fever, day=dt.date(2022, 3, 20))
    Alert.objects.filter(pk=late.pk).update(first_day=dt.date(2022, 3, 18))  # an episode 03-18 – 03-20
    client.force_login(shenzhen_epi)
    api = reverse("surveillance-api:alert-list")

    def ids(**params):
        return {a["id"] for a in client.get(api, params).json()["results"]}

    assert ids(first="2022-03-19", last="2022-03-25") == {late.pk}  # overlaps the episode
    assert ids(first="2022-02-20", last="2022-03-01") == {early.pk}
    assert ids(last="2022-03-17") == {early.pk}
    assert ids(first="2022-03-21") == set()
    assert client.get(api, {"first": "2022-03-32"}).status_code == 400
    page = client.get(reverse("surveillance:alert-list"), {"first": "2022-03-19"}).content.decode()
    assert reverse("surveillance:alert-detail", args=[late.pk]) in page
    assert reverse("surveillance:alert-detail", args=[early.pk]) not in page
    bad = client.get(reverse("surveillance:alert-list"), {"first": "nonsense"})
    assert bad.status_code == 400 and "<code>first</code>" in bad.content.decode()
    assert "YYYY-MM-DD" in bad.content.decode()


def test_a_reports_correction_history_page(client, futian_reporter, futian_site, luohu_commander):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"  # the text asserted below is English
    client.force_login(futian_reporter)
    url = reverse("surveillance-api:report-list")
    body = {"site": futian_site.pk, "indicator": "fever_clinic_visits", "date": "2022-03-01", "count": 12}
    report_id = client.post(url, body, content_type="application/json").json()["id"]
    client.post(url, {**body, "count": 15}, content_type="application/json")
    form = client.get(reverse("surveillance:report"), {"site": futian_site.pk, "date": "2022-03-01"})
    page_url = reverse("surveillance:report-detail", args=[report_id])
    assert page_url in form.content.decode()
    page = client.get(page_url).content.decode()
    assert "Correction history" in page and ">12<" in page and "ft_reporter" in page and ">15<" not in page.split(
        "Correction history")[1]
    client.force_login(luohu_commander)
    assert client.get(page_url).status_code == 404
