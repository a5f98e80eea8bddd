"""Optimistic locking: the one way a write refuses to overwrite a change it has not seen.

Every editable record carries a ``version``. The caller sends the version it read; the write goes through
only if the stored version is still that one, and increments it. Otherwise ``StaleEditError`` is
raised, nothing is written, and the API answers **409** with ``{"error": {"code": "stale_version", …}}``
(``fangkong.api.errors``); pages answer 409 with the message.

- ``versioned_update(model, pk, expected_version, values)``: one conditional ``UPDATE … WHERE version =
  expected`` (no lock held, no read before): the new version, or ``StaleEditError``.
- ``check_version(current, expected)``: for a write that has already locked the row
  (``select_for_update``) because it must read it before deciding (a lifecycle step).
"""

from __future__ import annotations

from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

STALE_MESSAGE = _("Someone else saved this record after you opened it. Nothing was saved: "
                  "reload the page to see their change, then apply yours again.")


class StaleEditError(Exception):
    """Somebody else saved the record since the caller read it (optimistic locking)."""


def check_version(current: int, expected: int | None, message=STALE_MESSAGE) -> None:
    """Raise ``StaleEditError`` unless the caller's ``expected`` version is the stored ``current`` one
    (``None``: the caller sent none, nothing to check)."""
    if expected is not None and current != expected:
        raise StaleEditError(str(message))


def versioned_update(model, pk, expected_version: int, values: dict, *, message=STALE_MESSAGE,
                     stamp: str | None = "updated_at") -> int:
    """Write ``values`` only if the stored version is still ``expected_version``; the new version."""
    extra = {stamp: timezone.now()} if stamp else {}
    updated = model.objects.filter(pk=pk, version=expected_version).update(
        **values, **extra, version=F("version") + 1)
    if updated != 1:
        raise StaleEditError(str(message))
    return expected_version + 1
