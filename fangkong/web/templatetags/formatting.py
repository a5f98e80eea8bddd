"""Template filters for numbers and punctuation as the UI shows them (full-width punctuation in Chinese)."""

from django import template
from django.utils.html import format_html
from django.utils.translation import pgettext

register = template.Library()


@register.filter
def thousands(value) -> str:
    """12345678 → 12,345,678 (the grouping used in Chinese official statistics too)."""
    try:
        return f"{int(value):,}"
    except (TypeError, ValueError):
        return ""


@register.simple_tag
def colon() -> str:
    """The separator after a label: "：" in Chinese, ": " in English."""
    return pgettext("punctuation", ": ")


@register.filter
def parenthesised(value) -> str:
    """``value`` in brackets after what precedes it: "（…）" in Chinese, " (…)" in English (escaped)."""
    if value in (None, ""):
        return ""
    return format_html(pgettext("punctuation", " ({text})"), text=value)


@register.simple_tag
def semicolon() -> str:
    """The separator between two clauses: "；" in Chinese, "; " in English."""
    return pgettext("punctuation", "; ")


@register.filter
def enumeration(values) -> str:
    """Items joined as a list: "1、4、7" in Chinese, "1, 4, 7" in English."""
    return pgettext("enumeration", ", ").join(str(v) for v in values)
