"""Daily report: figures identical to the dashboard's, official wording, versions and differences, workflow
audited, scope, and the PDF with an embedded CJK font (kept as a test artefact with its first page)."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import translation

from fangkong.accounts.roles import Role
from fangkong.audit.models import AuditEvent
from fangkong.bulletins import services
from fangkong.bulletins.differences import report_differences
from fangkong.bulletins.models import Bulletin
from fangkong.cases.tests.builders import make_case
from fangkong.dashboard.selectors import situation
from fangkong.regions.models import Region
from fangkong.testing.builders import make_user

pytestmark = pytest.mark.django_db
ARTIFACTS = Path(os.environ.get("FANGKONG_ARTIFACTS", "test-artifacts")).resolve()


def busiest(scenario) -> tuple[dt.date, int]:
    day = int(np.bincount(scenario.cases.report_day).argmax())
    return scenario.params.start_date + dt.timedelta(days=day), day


def test_report_figures_and_wording_equal_the_raw_rows(demo_wave, province_commander):
    scenario, codes = demo_wave
    day, index = busiest(scenario)
    c = scenario.cases
    on_day = c.report_day == index
    local = ~c.imported.astype(bool)
    confirmed = ~c.asymptomatic.astype(bool)
    expected_local_confirmed = int((on_day & local & confirmed).sum())
    in_sz = np.array([codes[r].startswith("4403") for r in c.region])

    bulletin = services.bulletin_generate(actor=province_commander, region_code="440000", day=day,
                                          language="zh-hans")

    assert bulletin.version == 1 and bulletin.status == Bulletin.Status.DRAFT
    assert bulletin.content["new"]["confirmed_local"] == expected_local_confirmed
    # identical to the dashboard's figures for the same date
    dashboard = situation(user=province_commander, region=Region.objects.get(code="440000"), day=day)
    assert bulletin.content["new"] == dashboard["new"] and bulletin.content["children"] == dashboard["children"]
    wording = f"{day.month}月{day.day}日0—24时，全省新增本土确诊病例{expected_local_confirmed}例"
    assert wording in bulletin.html
    sz_local_confirmed = int((on_day & local & confirmed & in_sz).sum())
    if sz_local_confirmed:
        assert f"深圳市{sz_local_confirmed}例" in bulletin.html
    assert "<svg" in bulletin.html and "report-map" in bulletin.html and "表1" in bulletin.html
    english = services.bulletin_generate(actor=province_commander, region_code="440000", day=day, language="en")
    assert f"reported {expected_local_confirmed} new local confirmed cases" in english.html


def test_regenerate_makes_a_new_version_and_shows_the_differences(client, shenzhen_epi, province_commander):
    make_case(province_commander, region="440304", name="甲", day="2022-03-10")
    first = services.bulletin_generate(actor=shenzhen_epi, region_code="440300", day=dt.date(2022, 3, 10),
                                       language="zh-hans")
    make_case(province_commander, region="440304", name="乙", day="2022-03-10")

    second = services.bulletin_generate(actor=shenzhen_epi, region_code="440300", day=dt.date(2022, 3, 10),
                                        language="zh-hans")

    assert (first.version, second.version) == (1, 2)
    changes = [(d.where, d.label, d.before, d.after) for d in report_differences(first, second)]
    assert ("Shenzhen", "New local confirmed cases", "1", "2") in changes
    assert ("Futian District", "New local confirmed cases", "1", "2") in changes
    assert ("Shenzhen", "Cumulative infections", "1", "2") in changes
    # each figure once: the city's own row of the table does not repeat its top-level figures
    assert len(changes) == len(set(changes))
    assert [c for c in changes if c[:2] == ("Shenzhen", "New local confirmed cases")] == [changes[1]]
    assert "Epidemic curve" in [c[1] for c in changes]
    client.force_login(shenzhen_epi)
    page = client.get(reverse("bulletins:detail", kwargs={"bulletin_id": second.pk})).content.decode()
    assert "福田区" in page and "diff-table" in page and "新增本土确诊病例" in page
    table = page[page.index("diff-table"):page.index("</table>", page.index("diff-table"))]
    # no internal key, no structure written out, each row once
    assert "new." not in table and "tracing" not in table and "{" not in table and "_" not in table
    rows = table.split("<tr>")[2:]
    assert len(rows) == len(set(rows)) == len(changes)
    assert "全市新增本土确诊病例2例（福田区2例）" in second.html


def test_differences_write_rt_shares_and_the_earlies_in_words(province_commander, shenzhen_epi):
    make_case(province_commander, region="440304", name="甲", day="2022-03-10")
    first = services.bulletin_generate(actor=shenzhen_epi, region_code="440300", day=dt.date(2022, 3, 10),
                                       language="zh-hans")
    second = services.bulletin_generate(actor=shenzhen_epi, region_code="440300", day=dt.date(2022, 3, 10),
                                        language="zh-hans")
    content = second.content
    content["totals"]["rt"] = {"mean": 1.234, "lower": 0.9, "upper": 1.6}
    content["tracing"]["listed_within_24h"] = 0.5
    content["earlies"]["intervals"][2]["median_hours"] = 30.0
    content["children"][3]["rt"] = {"mean": 0.8, "lower": 0.5, "upper": 1.1}

    with translation.override("zh-hans"):
        changes = {(d.where, d.label): (d.before, d.after) for d in report_differences(first, second)}

    assert changes[("深圳市", "Rt（95%可信区间）")] == ("—", "1.23 (0.90–1.60)")
    assert changes[("深圳市", "24小时内判定的密切接触者占比")][1] == "50%"
    assert changes[("深圳市", "采样 → 报告：中位数（小时）")] == ("—", "30.0")
    assert changes[(content["children"][3]["name_zh"], "Rt（95%可信区间）")] == ("—", "0.80 (0.50–1.10)")
    assert len(changes) == 4


def test_workflow_draft_reviewed_approved_each_step_audited(client, shenzhen_epi, province_commander):
    bulletin = services.bulletin_generate(actor=shenzhen_epi, region_code="440300", day=dt.date(2022, 3, 10),
                                          language="zh-hans")
    # another epidemiologist may review (the drafter may not: four eyes) but not approve
    reviewer = make_user("sz_reviewer", ("440300", Role.EPIDEMIOLOGIST))
    services.bulletin_review(actor=reviewer, bulletin=bulletin)
    with pytest.raises(PermissionDenied):
        services.bulletin_approve(actor=reviewer, bulletin=bulletin)
    assert Bulletin.objects.get(pk=bulletin.pk).status == Bulletin.Status.REVIEWED
    client.force_login(province_commander)
    response = client.post(reverse("bulletins:transition", kwargs={"bulletin_id": bulletin.pk}), {"to": "approved"})
    assert response.status_code == 302
    bulletin.refresh_from_db()
    assert bulletin.status == Bulletin.Status.APPROVED and bulletin.approved_by == province_commander
    steps = list(AuditEvent.objects.filter(object_type="bulletins.bulletin", object_id=str(bulletin.pk))
                 .order_by("id").values_list("action", "detail__to"))
    assert steps == [("create", None), ("update", "reviewed"), ("update", "approved")]
    # a step that no longer applies is refused and changes nothing
    with pytest.raises(services.BulletinStateError):
        services.bulletin_review(actor=province_commander, bulletin=bulletin)
    assert Bulletin.objects.get(pk=bulletin.pk).status == Bulletin.Status.APPROVED


def test_only_the_latest_version_moves_on(province_commander, shenzhen_epi):
    old = services.bulletin_generate(actor=province_commander, region_code="440300", day=dt.date(2022, 3, 10),
                                     language="en")
    services.bulletin_generate(actor=province_commander, region_code="440300", day=dt.date(2022, 3, 10),
                               language="en")
    with pytest.raises(services.BulletinStateError):
        services.bulletin_review(actor=shenzhen_epi, bulletin=old)
    assert Bulletin.objects.get(pk=old.pk).status == Bulletin.Status.DRAFT


def test_other_city_gets_404_and_changes_nothing(client, guangzhou_epi, shenzhen_epi, analyst):
    bulletin = services.bulletin_generate(actor=shenzhen_epi, region_code="440300", day=dt.date(2022, 3, 10),
                                          language="zh-hans")
    client.force_login(guangzhou_epi)
    for name in ("bulletins:detail", "bulletins:report", "bulletins:pdf"):
        assert client.get(reverse(name, kwargs={"bulletin_id": bulletin.pk})).status_code == 404
    assert client.post(reverse("bulletins:transition", kwargs={"bulletin_id": bulletin.pk}),
                       {"to": "reviewed"}).status_code == 404
    response = client.post(reverse("bulletins:generate"), {"region": "440300", "date": "2022-03-10",
                                                           "language": "zh-hans"})
    assert response.status_code == 404
    assert "深圳" not in client.get(reverse("bulletins:list")).content.decode()
    client.force_login(analyst)  # read-only role: may read, may not generate
    response = client.post(reverse("bulletins:generate"), {"region": "440300", "date": "2022-03-10",
                                                           "language": "zh-hans"})
    assert response.status_code == 403
    assert list(Bulletin.objects.values_list("pk", "status")) == [(bulletin.pk, "draft")]


PDF_CHECK = r"""
import ctypes, sys
import pypdfium2 as pdfium, pypdfium2.raw as raw
doc = pdfium.PdfDocument(sys.argv[1])
fonts = set()
for page in doc:
    for obj in page.get_objects():
        if obj.type == raw.FPDF_PAGEOBJ_TEXT:
            font = raw.FPDFTextObj_GetFont(obj.raw)
            n = raw.FPDFFont_GetBaseFontName(font, None, 0)
            buf = ctypes.create_string_buffer(n)
            raw.FPDFFont_GetBaseFontName(font, buf, n)
            fonts.add((buf.value.decode(), raw.FPDFFont_GetIsEmbedded(font)))
print(repr(sorted(fonts)))
print(doc[0].get_textpage().get_text_range())
doc[0].render(scale=1.5).to_pil().save(sys.argv[2])
"""


def test_pdf_of_the_busiest_day_embeds_a_cjk_font(client, demo_wave, province_commander, tmp_path):
    scenario, _codes = demo_wave
    day, index = busiest(scenario)
    c = scenario.cases
    local_confirmed = int(((c.report_day == index) & ~c.imported.astype(bool) & ~c.asymptomatic.astype(bool)).sum())
    bulletin = services.bulletin_generate(actor=province_commander, region_code="440000", day=day,
                                          language="zh-hans")
    client.force_login(province_commander)

    response = client.get(reverse("bulletins:pdf", kwargs={"bulletin_id": bulletin.pk}))

    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    ARTIFACTS.mkdir(exist_ok=True)
    pdf_path = ARTIFACTS / "bulletin-busiest-day.pdf"
    pdf_path.write_bytes(response.content)
    png_path = ARTIFACTS / "bulletin-busiest-day-page1.png"
    # read back in a separate process (pdfium is not thread-safe and keeps global state)
    out = subprocess.run([sys.executable, "-c", PDF_CHECK, str(pdf_path), str(png_path)], check=True,
                         capture_output=True, text=True).stdout
    fonts = eval(out.splitlines()[0])  # noqa: S307 - our own repr() of a list of tuples
    text = "\n".join(out.splitlines()[1:])
    assert any("NotoSansSC" in name and embedded for name, embedded in fonts), fonts
    assert all(embedded for _name, embedded in fonts), fonts
    assert f"{day.month}月{day.day}日0—24时，全省新增本土确诊病例{local_confirmed}例" in text.replace("\r", "").replace("\n", "")
    assert png_path.stat().st_size > 10_000
    assert AuditEvent.objects.filter(action="export", object_id=str(bulletin.pk)).exists()


def test_pdf_renders_the_chinese_font_without_any_system_cjk_font(tmp_path):
    """With fontconfig limited to a Latin-only folder the PDF still carries the vendored Noto Sans SC."""
    fonts_conf = tmp_path / "fonts.conf"
    fonts_conf.write_text('<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd"><fontconfig>'
                          f'<dir>{tmp_path}</dir><cachedir>{tmp_path}/cache</cachedir></fontconfig>')
    script = (
        "import django, os, re; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'fangkong.settings'); django.setup()\n"
        "from fangkong.bulletins.report import render_pdf\n"
        "pdf = render_pdf('<html><body class=\"report-document\"><p>全省新增本土确诊病例12例</p></body></html>')\n"
        "import sys; open(sys.argv[1], 'wb').write(pdf)\n")
    pdf_path, png_path = tmp_path / "t.pdf", tmp_path / "t.png"
    env = {**os.environ, "FONTCONFIG_FILE": str(fonts_conf)}
    subprocess.run([sys.executable, "-c", script, str(pdf_path)], check=True, env=env, capture_output=True)
    out = subprocess.run([sys.executable, "-c", PDF_CHECK, str(pdf_path), str(png_path)], check=True,
                         capture_output=True, text=True, env=env).stdout
    fonts = eval(out.splitlines()[0])  # noqa: S307 - our own repr()
    assert fonts and all("NotoSansSC" in name and embedded for name, embedded in fonts), fonts
    assert "全省新增本土确诊病例12例" in out


def test_demo_loader_approves_the_busiest_days_report(demo_wave, province_commander):
    from fangkong.bulletins.demo import load_demo_bulletins

    scenario, _codes = demo_wave
    day, _index = busiest(scenario)

    message = load_demo_bulletins(province_commander)

    approved = Bulletin.objects.filter(region_id="440000", date=day, status=Bulletin.Status.APPROVED)
    assert sorted(approved.values_list("language", flat=True)) == ["en", "zh-hans"]
    assert Bulletin.objects.filter(region_id="440300", status=Bulletin.Status.DRAFT).count() == 1
    # four eyes: the province's reports were drafted by another person than the one who approved them
    for bulletin in approved:
        assert bulletin.created_by.username == "province_epi"
        assert bulletin.reviewed_by == bulletin.approved_by == province_commander
    assert day.isoformat() in message
    assert load_demo_bulletins(province_commander) == "demo bulletins: already there"


def test_report_lists_the_open_signals(shenzhen_epi):
    from fangkong.surveillance.tests.builders import make_shenzhen_surveillance

    make_shenzhen_surveillance()  # a Futian alert, new, 2022-03-10

    bulletin = services.bulletin_generate(actor=shenzhen_epi, region_code="440300", day=dt.date(2022, 3, 10),
                                          language="zh-hans")

    assert bulletin.content["signals"]["open"] == 1
    assert "表2" in bulletin.html and "福田区" in bulletin.html and "新发" in bulletin.html
    assert "现有未关闭的监测预警信号1起，其中新发1起" in bulletin.html


def _outlook_content(capacity_known: bool, shortage: dict | None = None, projected: bool = True) -> dict:
    outlook = {"days": 14, "contacts_in_quarantine": 40, "capacity_known": capacity_known,
               "projected": {"infections": {"median": 120, "lower": 80, "upper": 190},
                             "quarantine_rooms": {"median": 900, "upper": 1300},
                             "isolation_beds": {"median": 150, "upper": 200},
                             "shortage": shortage or {}} if projected else None}
    return {"region": {"code": "440300", "level": "prefecture", "name_zh": "深圳市", "name_en": "Shenzhen"},
            "outlook": outlook}


def test_the_report_states_the_outlook_and_the_shortage_the_forecast_finds():
    from fangkong.bulletins.report import outlook_wording

    shortage = {"quarantine_rooms": {"probability": 0.84, "first_day": 6, "first_date": "2022-04-21", "above_90": 0.9},
                "isolation_beds": {"probability": 0.12, "first_day": None, "first_date": None, "above_90": 0.2}}
    zh = outlook_wording(_outlook_content(True, shortage), "zh-hans")
    assert zh == ("按现行防控方案和当前有效再生数推算，未来14日全市预计新增感染者120例（95%区间80—190例），第14日需集中隔离"
                  "房间约900间、隔离床位约150张；集中隔离房间预计于4月21日出现缺口（概率84.0%）；隔离床位14日内出现缺口"
                  "的概率为12.0%。")
    en = outlook_wording(_outlook_content(True, shortage), "en")
    assert "report 120 new infections in the next 14 days (95% interval 80–190)" in en
    assert "quarantine rooms are projected to run short on 21 April (probability 84.0%)" in en
    assert "the probability that isolation beds run short within 14 days is 12.0%" in en
    # no capacity recorded: the need, no shortage claimed; no projection, or an old report: no paragraph
    assert outlook_wording(_outlook_content(False, shortage), "zh-hans").endswith("隔离床位约150张。")
    assert outlook_wording(_outlook_content(False, projected=False), "en") is None
    assert outlook_wording({"region": {"level": "province"}}, "en") is None


def test_the_generated_report_carries_the_outlook_paragraph_of_its_figures(demo_wave, province_commander):
    from fangkong.bulletins.report import outlook_wording

    scenario, _codes = demo_wave
    day, _index = busiest(scenario)
    bulletin = services.bulletin_generate(actor=province_commander, region_code="440300", day=day,
                                          language="zh-hans")
    paragraph = outlook_wording(bulletin.content, "zh-hans")
    assert paragraph and bulletin.content["outlook"]["projected"]
    assert f"预计新增感染者{bulletin.content['outlook']['projected']['infections']['median']}例" in paragraph
    assert paragraph in bulletin.html
