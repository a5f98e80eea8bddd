"""Roles, and the names of the capabilities. Reads are governed by region scope; capabilities govern the rest.

A user holds memberships (region, role); a capability is granted in a region when one of the user's
memberships has a role with that capability and its region covers that region. Which role holds which
capability is declared by the module that defines the capability (``fangkong.modules``).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    PROVINCIAL_COMMANDER = "provincial_commander", _("Provincial commander")
    LOCAL_COMMANDER = "local_commander", _("City/county commander")
    EPIDEMIOLOGIST = "epidemiologist", _("Epidemiologist")
    SENTINEL_REPORTER = "sentinel_reporter", _("Sentinel reporter")
    QUARANTINE_MANAGER = "quarantine_manager", _("Quarantine-site manager")
    COMMUNITY_WORKER = "community_worker", _("Community worker")
    INSPECTOR = "inspector", _("Inspector")
    LABORATORY = "laboratory", _("Laboratory")
    ANALYST = "analyst", _("Analyst (read-only)")
    SYSTEM_ADMINISTRATOR = "system_administrator", _("System administrator")
    # an employer's contact (企业联络员): the persons of its own enterprises only (need_to_know.OWN_ENTERPRISES)
    ENTERPRISE_CONTACT = "enterprise_contact", _("Enterprise contact")


class Capability:
    """The codes of the capabilities the modules declare, named for use in code.

    Each module declares its own capabilities — label and the roles that hold them — on its ``AppConfig``
    (``fangkong.modules.CapabilityGrant``); ``fangkong.modules.role_capabilities`` collects them. A new
    module may name its codes where it uses them; these names are the platform's existing ones.
    """

    PERSON_REGISTER = "person.register"
    PERSON_REVEAL = "person.reveal"
    PERSON_EXPORT_CLEAR = "person.export_clear"
    AUDIT_BROWSE = "audit.browse"
    USER_MANAGE = "user.manage"
    CASE_WRITE = "case.write"
    CONTACT_MANAGE = "contact.manage"
    RISK_AREA_DESIGNATE = "risk_area.designate"
    PROTOCOL_EDIT = "protocol.edit"
    SENTINEL_REPORT = "surveillance.report"
    SENTINEL_IMPORT = "surveillance.import"
    SIGNAL_RESPOND = "surveillance.respond"
    DETECTION_CONFIGURE = "surveillance.configure"
    BULLETIN_DRAFT = "bulletin.draft"
    BULLETIN_REVIEW = "bulletin.review"
    BULLETIN_APPROVE = "bulletin.approve"
