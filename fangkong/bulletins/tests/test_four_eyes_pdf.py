"""Four eyes on the report workflow (the drafter neither reviews nor approves), over the service, the page and
the API; the PDF of a version stored in the database (rendered once, served by any process)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from fangkong.accounts.roles import Role
from fangkong.audit.models import AuditEvent
from fangkong.bulletins import services
from fangkong.bulletins.models import Bulletin, BulletinPdf
from fangkong.testing.builders import make_user

pytestmark = pytest.mark.django_db
DAY = dt.date(2022, 3, 10)


@pytest.fixture
def shenzhen_commander(db):
    return make_user("sz_commander", ("440300", Role.LOCAL_COMMANDER))


def _steps(bulletin) -> list:
    return list(AuditEvent.objects.filter(object_type="bulletins.bulletin", object_id=str(bulletin.pk),
                                          action="update").order_by("id").values_list("detail__to", flat=True))


def test_the_drafter_may_not_review_its_own_report(shenzhen_commander):
    bulletin = services.bulletin_generate(actor=shenzhen_commander, region_code="440300", day=DAY, language="en")

    with pytest.raises(services.FourEyesError, match="another person must review and approve it"):
        services.bulletin_review(actor=shenzhen_commander, bulletin=bulletin)

    assert Bulletin.objects.get(pk=bulletin.pk).status == Bulletin.Status.DRAFT
    assert _steps(bulletin) == []


def test_the_drafter_may_not_approve_what_another_reviewed(shenzhen_commander, shenzhen_epi, province_commander):
    bulletin = services.bulletin_generate(actor=shenzhen_commander, region_code="440300", day=DAY, language="en")
    services.bulletin_review(actor=shenzhen_epi, bulletin=bulletin)

    with pytest.raises(services.FourEyesError):
        services.bulletin_approve(actor=shenzhen_commander, bulletin=bulletin)
    assert Bulletin.objects.get(pk=bulletin.pk).status == Bulletin.Status.REVIEWED

    approved = services.bulletin_approve(actor=province_commander, bulletin=bulletin)
    assert approved.status == Bulletin.Status.APPROVED
    assert (approved.created_by, approved.reviewed_by, approved.approved_by) == (
        shenzhen_commander, shenzhen_epi, province_commander)
    assert _steps(bulletin) == ["reviewed", "approved"]


def test_the_reviewer_may_also_approve_when_not_the_drafter(shenzhen_epi, shenzhen_commander):
    bulletin = services.bulletin_generate(actor=shenzhen_epi, region_code="440300", day=DAY, language="zh-hans")
    services.bulletin_review(actor=shenzhen_commander, bulletin=bulletin)
    assert services.bulletin_approve(actor=shenzhen_commander, bulletin=bulletin).status == "approved"


def test_the_page_refuses_the_drafter_with_the_reason_and_hides_the_button(client, shenzhen_commander):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"  # the messages asserted below are the English ones
    bulletin = services.bulletin_generate(actor=shenzhen_commander, region_code="440300", day=DAY, language="en")
    client.force_login(shenzhen_commander)
    page = client.get(reverse("bulletins:detail", kwargs={"bulletin_id": bulletin.pk})).content.decode()
    assert "data-four-eyes" in page and 'value="reviewed"' not in page

    response = client.post(reverse("bulletins:transition", kwargs={"bulletin_id": bulletin.pk}), {"to": "reviewed"})

    assert response.status_code == 403 and "four eyes" in response.content.decode()
    assert Bulletin.objects.get(pk=bulletin.pk).status == Bulletin.Status.DRAFT


def test_another_person_sees_the_review_button(client, shenzhen_commander, shenzhen_epi):
    bulletin = services.bulletin_generate(actor=shenzhen_commander, region_code="440300", day=DAY, language="en")
    client.force_login(shenzhen_epi)
    page = client.get(reverse("bulletins:detail", kwargs={"bulletin_id": bulletin.pk})).content.decode()
    assert 'value="reviewed"' in page and "data-four-eyes" not in page


def test_the_pdf_is_stored_with_its_version_and_rendered_once(client, shenzhen_epi, monkeypatch):
    from fangkong.bulletins import report

    calls = []
    real = report.render_pdf

    def counting(document_html):
        calls.append(document_html)
        return real(document_html)

    monkeypatch.setattr(report, "render_pdf", counting)
    first = services.bulletin_generate(actor=shenzhen_epi, region_code="440300", day=DAY, language="zh-hans")
    client.force_login(shenzhen_epi)
    url = reverse("bulletins:pdf", kwargs={"bulletin_id": first.pk})

    one = client.get(url)
    from django.core.cache import cache

    cache.clear()  # nothing in a process cache: the second read comes from the database
    two = client.get(url)

    assert one.status_code == two.status_code == 200 and one.content == two.content
    assert one.content.startswith(b"%PDF") and len(calls) == 1
    stored = BulletinPdf.objects.get(bulletin=first)
    assert bytes(stored.pdf) == one.content
    # a new version is a new PDF, rendered from its own report; the first version's file is kept
    second = services.bulletin_generate(actor=shenzhen_epi, region_code="440300", day=DAY, language="zh-hans")
    client.get(reverse("bulletins:pdf", kwargs={"bulletin_id": second.pk}))
    assert len(calls) == 2 and BulletinPdf.objects.count() == 2
    assert bytes(BulletinPdf.objects.get(bulletin=first).pdf) == one.content
    # every download is audited, even when served from the store
    assert AuditEvent.objects.filter(action="export", object_id=str(first.pk)).count() == 2


def test_a_changed_document_renders_the_version_again(shenzhen_epi, monkeypatch):
    from fangkong.bulletins import report

    monkeypatch.setattr(report, "render_pdf", lambda html: b"%PDF-" + html.encode())
    bulletin = services.bulletin_generate(actor=shenzhen_epi, region_code="440300", day=DAY, language="en")

    old = services.bulletin_pdf(bulletin=bulletin, document_html="<html>page template v1</html>")
    same = services.bulletin_pdf(bulletin=bulletin, document_html="<html>page template v1</html>")
    new = services.bulletin_pdf(bulletin=bulletin, document_html="<html>page template v2</html>")

    assert old == same != new and BulletinPdf.objects.filter(bulletin=bulletin).count() == 1
    assert bytes(BulletinPdf.objects.get(bulletin=bulletin).pdf) == new
