"""``{% due_cards rows %}``: the cards of the day list (``followup/due.html``), one per person, written here
rather than by a template loop: a quarantine site's floor list holds up to 500 persons on one screen, and the
template engine's per-variable cost over 500 cards (a name, a room, two checks, the tests, the one-step form)
was most of the page's time. Same markup, same translations (the msgids of the template it replaces), every
value escaped by ``format_html``; the labels, URLs and the form's fields read once per page."""

from __future__ import annotations

from django import template
from django.template.backends.utils import csrf_input
from django.template.loader import get_template
from django.urls import reverse
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext, pgettext

from fangkong.persons.shown import person_shown

from ..models import HealthCheck, Slot

register = template.Library()


def _url_of(name: str):
    """``reverse`` of a per-person URL once: the pattern with a marker id, the id put in per card."""
    pattern = reverse(name, kwargs={"pk": 987654321})
    head, _marker, tail = pattern.partition("987654321")
    return lambda pk: f"{head}{pk}{tail}"


@register.simple_tag(takes_context=True)
def due_cards(context, rows) -> str:
    request = context.get("request")
    day, today = context["day"], context["today"]
    may_record, fields, next_path = context.get("may_record"), context.get("check_fields") or {}, context.get(
        "next_path", "")
    subject_url, check_url = _url_of("followup:subject"), _url_of("followup:check-new")
    person_template = get_template("followup/_person.html")
    slots = {value: str(label) for value, label in Slot.choices}  # translated once, not per card
    outcomes = {value: str(label) for value, label in HealthCheck.Outcome.choices}
    colon = pgettext("punctuation", ": ")
    words = {"centralised": gettext("centralised quarantine"), "home": gettext("home"),
             "test": gettext("Test due"), "sick": gettext("Fever or symptoms")}
    csrf = csrf_input(request) if request is not None and may_record else ""
    user, reach_only = getattr(request, "user", None), set()
    day_text = day.isoformat()
    cards = []
    for row in rows:
        subject = row.subject
        # the reader's level on a region's rows asked once per region: a site's manager, who reads the persons
        # through the module's reach only, gets the name alone (``followup_person.subject_person``)
        shown = None if subject.region_id in reach_only else person_shown(user, subject.person, subject.region_id)
        if shown is None:
            reach_only.add(subject.region_id)
            person = conditional_escape(subject.person.name or "—")
        else:
            person = person_template.render({"p": shown})
        room = getattr(subject, "room_number", None)
        meta = format_html("<strong data-room>{}</strong> · ", gettext("Room %(room)s") % {"room": room}) \
            if room else ""
        checks = "".join(
            format_html('<span class="tag {}">{}{}{}</span> ',
                        "fu-ok" if c.outcome == "ok" else "fu-alert" if c.outcome == "symptomatic" else "fu-warn",
                        slots.get(c.slot, c.slot), colon,
                        f"{c.temperature} °C" if c.temperature else outcomes.get(c.outcome, c.outcome))
            for c in row.checks.values())
        tests = "".join(
            format_html('<span class="tag {}" data-test-due>{} {}</span> ',
                        "fu-alert" if t.status == "overdue" or t.due_date < day else "fu-warn", words["test"],
                        t.due_date.strftime("%m-%d"))
            for t in row.tests)
        sick = format_html('<span class="tag fu-alert">{}</span>', words["sick"]) if subject.symptomatic_since else ""
        form = ""
        if may_record and row.open_slots and day <= today:
            slot = row.open_slots[0]
            form = format_html(
                '<form method="post" action="{}" class="fu-check">{}\n  <input type="hidden" name="subject" value="{}">'
                '<input type="hidden" name="day" value="{}">\n  <input type="hidden" name="next" value="{}">\n{}\n'
                "</form>", check_url(subject.pk), csrf, subject.pk, day_text, next_path,
                fields.get("evening" if slot == "evening" else "morning", ""))
        cards.append(format_html(
            '<section class="card fu-person" data-subject="{}">\n    <h2><span>{}</span>\n      '
            '<a class="small" href="{}">{}</a></h2>\n    <div class="fu-meta">{}{} ·\n      {} ·\n      {}</div>\n'
            "    <div>{}\n      {}\n      {}</div>\n    {}\n  </section>\n",
            subject.pk, person, subject_url(subject.pk), subject.label, meta,
            gettext("Day %(n)s") % {"n": row.day_number}, words["centralised" if row.phase == "centralised" else "home"],
            subject.region_id, mark_safe(checks), mark_safe(tests), sick, form))  # noqa: S308 - built by format_html
    return mark_safe("".join(cards))  # noqa: S308 - each card built by format_html
