"""``{% record_sections obj %}``: what other modules add to the page of a record (``ModuleConfig.record_sections``:
the retention module's scheduled deletion on a case, a contact, a traveller…), in the order of ``INSTALLED_APPS``.

A record's detail template calls it once, where the sections belong (after the record's own facts), for the
record its view has already let the reader see. For a model no module declares a section for, nothing."""

from __future__ import annotations

from django import template
from django.utils.html import format_html_join

from fangkong import modules

register = template.Library()


@register.simple_tag(takes_context=True)
def record_sections(context, obj) -> str:
    # A module's section is HTML it rendered (safe, kept as it is); anything else it returned is escaped.
    return format_html_join("", "{}", ((html,) for html in modules.record_sections(context["request"], obj)))
