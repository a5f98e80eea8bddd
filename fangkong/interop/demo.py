"""The demo part of the interop module (its ``demo_loader``): a DHIS2 destination and two FHIR destinations (the
national reporting system, pseudonymous; the provincial platform, entitled to identifiers) configured by the
demo administrator, all switched off (nothing is sent from a demonstration), so that the pages show them and
case reports can be exported to a file for them."""

from __future__ import annotations


def demo_load(actor) -> str:
    from fangkong.accounts.models import User

    from .models import Destination
    from .services import destination_create

    admin = User.objects.filter(username="admin").first()
    if admin is not None and not Destination.objects.exists():
        destination_create(actor=admin, region="440000", name="DHIS2 演示实例（未连接）", kind="dhis2",
                           base_url="https://dhis2.example.org/", regions=["440000"],
                           dhis2_data_set="pBOMPrpg1QX", dhis2_period="daily", active=False,
                           reason="演示数据：配置示例接收方")
        for name, entitled in (("国家传染病报告平台（演示，未连接）", False), ("省级传染病报告平台（演示，未连接）", True)):
            destination_create(actor=admin, region="440000", name=name, kind="fhir",
                               base_url="https://fhir.example.org/r4", regions=["440000"],
                               identifiers_entitled=entitled, active=False, reason="演示数据：配置示例接收方")
    return f"demo interop: {Destination.objects.count()} destinations"
