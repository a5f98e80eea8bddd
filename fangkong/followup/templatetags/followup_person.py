"""``{% subject_person subject as p %}``: the person under management as the reader may see them. A reader of
named data region-wide gets ``fangkong.persons.shown``'s fields; a quarantine-site manager or a community
worker, who reached the row through the module's reach (``selectors.reach_q``: their sites, their area at
home), gets the name only — no link to the registry, no mask, nothing else of the person."""

from __future__ import annotations

from django import template

from fangkong.accounts.need_to_know import Category
from fangkong.persons.shown import PersonShown, person_shown

register = template.Library()


@register.simple_tag(takes_context=True)
def subject_person(context, subject):
    request = context.get("request")
    user = getattr(request, "user", None)
    shown = person_shown(user, subject.person, subject.region_id)
    if shown is not None:
        return shown
    person = subject.person  # read through the module's reach: the name, for the worker to call the person
    return PersonShown(level=Category.NAMED, person_id=None, sex=person.sex, sex_label=person.get_sex_display(),
                       address_region="", name=person.name)
