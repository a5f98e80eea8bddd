"""The demo (key enterprises of Shenzhen and Dongguan, the demo contact's employer among them, plans, tickets
in every state, chains two tiers deep, the day's status; loading twice loads once), the dashboard panel and
the daily report's paragraph (counts only, in the reader's scope)."""

import pytest
from django.utils import timezone

from fangkong.accounts.roles import Role
from fangkong.testing.builders import make_user

from ..demo import demo_load
from ..models import Enterprise, PlanState, PreventionPlan, Ticket
from ..report import figures, wording
from ..selectors import enterprise_list, lockdown_hits

pytestmark = pytest.mark.django_db


def test_the_demo_loads_once_with_every_ticket_state_and_the_contacts_employer(province_commander):
    from fangkong.keypopulations.demo import demo_load as keypop_demo_load
    from fangkong.places.demo import demo_load as places_demo_load
    from fangkong.regions.models import Region

    make_user("admin", ("440000", Role.SYSTEM_ADMINISTRATOR))
    contact = make_user("employer_sz", ("440300", Role.ENTERPRISE_CONTACT))
    make_user("futian", ("440304", Role.LOCAL_COMMANDER))
    places_demo_load(province_commander)
    keypop_demo_load(province_commander)
    assert "enterprises" in demo_load(province_commander)
    assert "already loaded" in demo_load(province_commander)
    assert Enterprise.objects.filter(region__code__startswith="4419").exists()
    assert Enterprise.objects.filter(region__code__startswith="4403").count() >= 7
    assert set(Ticket.objects.values_list("state", flat=True)) == {"submitted", "accepted", "answered", "closed"}
    assert PreventionPlan.objects.filter(state=PlanState.APPROVED, enterprise__county_id="440304").exists()
    [own] = enterprise_list(user=contact)
    assert own.plans.get().submitted_by == contact
    assert any(tier == 2 for tier in lockdown_hits(region="440304").values())
    shenzhen = Region.objects.get(code="440300")
    frozen = figures(province_commander, shenzhen, timezone.localdate())
    assert frozen["enterprises"] == frozen["reported"] == Enterprise.objects.filter(
        region__code__startswith="4403").count()
    assert "重点企业" in wording(frozen, "zh-hans", "深圳市") and "Key enterprises" in wording(frozen, "en", "Shenzhen")
    assert figures(make_user("gz", ("440100", Role.EPIDEMIOLOGIST)), shenzhen, timezone.localdate()) is None


def test_the_dashboard_shows_the_resumption_panel(client, province_commander, shenzhen_epi, enterprise_data):
    from ..services import enterprise_register, status_record

    enterprise = enterprise_register(actor=shenzhen_epi, **enterprise_data(1))
    status_record(actor=shenzhen_epi, enterprise=enterprise.pk, day=timezone.localdate(), status="operating")
    client.force_login(province_commander)
    page = client.get("/dashboard/440300/").content.decode()
    assert 'data-panel="enterprises"' in page and "<td>1</td>" in page
