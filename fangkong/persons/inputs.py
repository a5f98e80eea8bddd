"""Input schema of registering a person, one for the registry page, the API and the import of persons
(``fangkong.inputs``).

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
