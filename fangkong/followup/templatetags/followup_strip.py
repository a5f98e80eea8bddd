"""``{% contact_followup contact as fu %}``: a contact's follow-up for the contact's page of the cases module
(``followup/_contact_strip.html``, included there): the person under management and the day-by-day strip of
the period, read through the follow-up module's scope (``selectors.source_strip``); None otherwise.
``{% source_followup kind source_id as fu %}``: the same for any source's record (an inbound traveller's page
includes ``followup/_source_strip.html`` with ``fu_kind`` and ``fu_source``)."""

from __future__ import annotations

from django import template

from .. import selectors

register = template.Library()


@register.simple_tag(takes_context=True)
def contact_followup(context, contact):
    request = context.get("request")
    user = getattr(request, "user", None)
    return selectors.source_strip(user=user, kind="contact", source_id=contact.pk) if user else None


@register.simple_tag(takes_context=True)
def source_followup(context, kind, source_id):
    request = context.get("request")
    user = getattr(request, "user", None)
    return selectors.source_strip(user=user, kind=kind, source_id=source_id) if user else None
