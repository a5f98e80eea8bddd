"""The demo: groups of the demo's ports, cold stores and quarantine hotels, realistic compliance with a few
overdue on the demo day, one positive; loading twice loads once."""

import pytest

from ..demo import demo_day, demo_load
from ..models import Compliance, KeyGroup, KeyTest
from ..selectors import overdue_entries

pytestmark = pytest.mark.django_db


def test_demo_has_a_few_overdue_on_the_demo_day(province_commander):
    from fangkong.places.demo import demo_load as places_demo_load

    places_demo_load(province_commander)
    demo_load(province_commander)
    day = demo_day()
    members = Compliance.objects.count()
    overdue = overdue_entries(user=province_commander, day=day).count()
    assert KeyGroup.objects.count() == 12 and members == 300
    assert 3 <= overdue <= 30
    assert KeyTest.objects.filter(result="positive").count() == 1
    assert "already loaded" in demo_load(province_commander)
