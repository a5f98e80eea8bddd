"""Template filters of the resources pages."""

from django import template

register = template.Library()


@register.filter
def percent(value) -> str:
    """0.834 → "83%" (a probability or a share, rounded to the whole per cent); empty for None."""
    if value is None or value == "":
        return ""
    return f"{round(float(value) * 100):d}%"
