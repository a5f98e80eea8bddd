"""The demo part of the enterprises module (its ``demo_loader``): one entry in Shenzhen."""

from __future__ import annotations

from .services import entry_create


def demo_load(actor) -> str:
    from .models import Entry

    if not Entry.objects.exists():
        entry_create(actor=actor, region="440300", title="demo entry")
    return f"demo enterprises: {Entry.objects.count()} entries"
