"""Shenzhen's interop records for the platform's scope test (``scope_records`` of the module): a destination
configured by a Shenzhen administrator and a message carrying Futian's data."""

from __future__ import annotations

from fangkong.accounts.roles import Role
from fangkong.testing.builders import make_user

from ..apps import SEND_AGGREGATES
from ..services import destination_create, message_enqueue


def other_city_records(actor) -> dict[str, list[str]]:
    admin = make_user("scope_interop_admin_sz", ("440300", Role.SYSTEM_ADMINISTRATOR))
    destination = destination_create(actor=admin, region="440300", name="深圳测试接收方", kind="dhis2",
                                     base_url="http://127.0.0.1:9/", regions=["440304"],
                                     dhis2_data_set="pBOMPrpg1QX", dhis2_period="daily",
                                     reason="scope test of the interop module")
    message = message_enqueue(actor=actor, destination=destination, kind="dhis2_dvs", region="440304",
                              path="/api/dataValueSets", payload={"dataValues": []},
                              idempotency_key="scope-test-1", capability=SEND_AGGREGATES)
    return {"destination_id": [str(destination.pk)], "message_id": [str(message.pk)], "pk": [str(message.pk)]}
