"""Roles and what each may do. Reads are governed by region scope; these capabilities govern the rest.

A user holds memberships (region, role); a capability is granted in a region when one of the user's
memberships has a role with that capability and its region covers that region.
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
    INSPECTOR = "inspector", _("Inspector")
    LABORATORY = "laboratory", _("Laboratory")
    ANALYST = "analyst", _("Analyst (read-only)")
    SYSTEM_ADMINISTRATOR = "system_administrator", _("System administrator")


class Capability(models.TextChoices):
    PERSON_REGISTER = "person.register", _("Register persons")
    PERSON_REVEAL = "person.reveal", _("See citizen IDs and phone numbers in clear")
    AUDIT_BROWSE = "audit.browse", _("Browse the audit trail")
    USER_MANAGE = "user.manage", _("Manage users and memberships")
    CASE_WRITE = "case.write", _("Register and edit cases, contacts, exposures and clusters")
    CONTACT_MANAGE = "contact.manage", _("Record contacts' quarantine and release")
    RISK_AREA_DESIGNATE = "risk_area.designate", _("Designate and lift risk areas")
    PROTOCOL_EDIT = "protocol.edit", _("Edit protocol versions")
    SENTINEL_REPORT = "surveillance.report", _("Submit daily reports for one's own sentinel sites")
    SENTINEL_IMPORT = "surveillance.import", _("Import sentinel reports in bulk")
    SIGNAL_RESPOND = "surveillance.respond", _("Acknowledge, investigate and verify signals")
    DETECTION_CONFIGURE = "surveillance.configure", _("Configure aberration detection and response targets")
    BULLETIN_DRAFT = "bulletin.draft", _("Generate daily situation reports")
    BULLETIN_REVIEW = "bulletin.review", _("Review daily situation reports")
    BULLETIN_APPROVE = "bulletin.approve", _("Approve daily situation reports")


ROLE_CAPABILITIES: dict[str, frozenset[str]] = {
    Role.PROVINCIAL_COMMANDER: frozenset({Capability.PERSON_REGISTER, Capability.PERSON_REVEAL,
                                             Capability.SENTINEL_IMPORT, Capability.SIGNAL_RESPOND,
                                             Capability.DETECTION_CONFIGURE, Capability.CASE_WRITE,
                                             Capability.CONTACT_MANAGE, Capability.RISK_AREA_DESIGNATE,
                                             Capability.BULLETIN_DRAFT, Capability.BULLETIN_REVIEW,
                                             Capability.BULLETIN_APPROVE}),
    Role.LOCAL_COMMANDER: frozenset({Capability.PERSON_REGISTER, Capability.PERSON_REVEAL,
                                        Capability.SENTINEL_IMPORT, Capability.SIGNAL_RESPOND,
                                        Capability.CASE_WRITE, Capability.CONTACT_MANAGE,
                                        Capability.RISK_AREA_DESIGNATE, Capability.BULLETIN_DRAFT,
                                        Capability.BULLETIN_REVIEW, Capability.BULLETIN_APPROVE}),
    Role.EPIDEMIOLOGIST: frozenset({Capability.PERSON_REGISTER, Capability.PERSON_REVEAL,
                                       Capability.SENTINEL_IMPORT, Capability.SIGNAL_RESPOND,
                                       Capability.DETECTION_CONFIGURE, Capability.CASE_WRITE,
                                       Capability.CONTACT_MANAGE, Capability.BULLETIN_DRAFT,
                                       Capability.BULLETIN_REVIEW}),
    Role.SENTINEL_REPORTER: frozenset({Capability.SENTINEL_REPORT}),
    Role.QUARANTINE_MANAGER: frozenset({Capability.PERSON_REGISTER, Capability.PERSON_REVEAL,
                                        Capability.CONTACT_MANAGE}),
    Role.INSPECTOR: frozenset(),
    Role.LABORATORY: frozenset({Capability.PERSON_REGISTER}),
    Role.ANALYST: frozenset(),
    Role.SYSTEM_ADMINISTRATOR: frozenset({Capability.AUDIT_BROWSE, Capability.USER_MANAGE,
                                          Capability.PROTOCOL_EDIT}),
}
