"""Input schemas of the person registry, one per action for the registry page, the API and the import of
persons (``fangkong.inputs``): registering a person, revealing a person's identifiers with the reason,
finding a person by citizen ID.

The schema types the input (text trimmed, the birth date read as a date); every rule about the values is
``person_register``'s (``fangkong.persons.rules``), so the verdict and its messages are the same whichever
way a person arrives — and the same as for the modules that register persons by calling the service.
"""

from __future__ import annotations

from rest_framework import serializers


class PersonInput(serializers.Serializer):
    """Register a person (or find the one already registered under the citizen ID)."""

    name = serializers.CharField(allow_blank=True, help_text="at most 64 characters")
    sex = serializers.CharField(required=False, allow_blank=True, help_text="M, F or U")
    birth_date = serializers.DateField(required=False, allow_null=True,
                                       help_text="YYYY-MM-DD; not after today, not before 1890")
    citizen_id = serializers.CharField(required=False, allow_blank=True, max_length=32)
    phone = serializers.CharField(required=False, allow_blank=True, max_length=32)
    address_region = serializers.CharField(allow_blank=True, max_length=12,
                                           help_text="the code of the region of residence, within the caller's")
    address_text = serializers.CharField(required=False, allow_blank=True,
                                         help_text="at most 200 characters")


class RevealInput(serializers.Serializer):
    """Identifiers in clear — a person's revealed, or a line list exported in clear: the reason, judged by the
    service (``person_reveal``, ``cases.exports.export_line_list``: a short sentence)."""

    reason = serializers.CharField(allow_blank=True, max_length=200,
                                   help_text="why the identifiers are needed, a short sentence (at least four Chinese "
                                             "characters or three words); recorded in the audit trail")


#: Where a search by citizen ID comes from: the registry's box, or the case and contact forms.
FIND_PURPOSES = ("registry", "case", "contact")


class PersonFindInput(serializers.Serializer):
    """Find a person by citizen ID (posted, never in an address): the number (``citizen_id``, or the registry
    box's ``q``, which may also hold a name) and where the search comes from."""

    citizen_id = serializers.CharField(required=False, allow_blank=True, default="", max_length=100)
    q = serializers.CharField(required=False, allow_blank=True, default="", max_length=100)
    purpose = serializers.ChoiceField(FIND_PURPOSES, default="registry")
