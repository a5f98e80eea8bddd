"""Template filters for numbers as the UI shows them."""

from django import template

register = template.Library()


@register.filter
def thousands(value) -> str:
    """12345678 → 12,345,678 (the grouping used in Chinese official statistics too)."""
    try:
        return f"{int(value):,}"
    except (TypeError, ValueError):
        return ""
