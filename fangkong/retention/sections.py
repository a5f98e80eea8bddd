"""The retention module's section of the person page (``person_sections``): when each of the person's
records (cases, contacts) is scheduled for deletion or anonymisation, or why it is not yet."""

from __future__ import annotations

from django.template.loader import render_to_string

from . import selectors


def scheduled_deletion_section(request, person) -> str:
    rows = selectors.person_schedule(person)
    if not rows:
        return ""
    return render_to_string("retention/_person_schedule.html", {"rows": rows}, request=request)
