"""``{% person_shown person region_code as p %}``: the fields of a person the reader may see
(``fangkong.persons.shown``); templates never read a person's fields directly.
``{% if user|opens:"surveillance:earlies" %}``: whether the page lets the user in (the need-to-know gate the
navigation uses), so that a page links only the pages its reader may open."""

from __future__ import annotations

from django import template

from fangkong.accounts.need_to_know import url_opens
from fangkong.persons.shown import person_shown as shown

register = template.Library()


@register.simple_tag(takes_context=True)
def person_shown(context, person, region_code):
    request = context.get("request")
    return shown(getattr(request, "user", None), person, region_code) if person is not None else None


@register.filter
def opens(user, url_name: str) -> bool:
    return url_opens(user, url_name)
