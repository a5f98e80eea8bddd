"""Delivery of task notices to outside channels (SMS, e-mail) through one adapter interface.

``notifier()`` returns the adapter named by the setting ``FANGKONG_WORKLISTS_NOTIFIER`` (a dotted path to a
class with ``send(notice)``), by default :class:`LoggingNotifier`, which writes each notice to the log — the
embedded set-up has no outside channel. Inside the platform the inbox is the notice; this is the copy sent out.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

log = logging.getLogger("fangkong.worklists.notify")


@dataclass(frozen=True)
class Notice:
    """One notice to a region's (or a person's) recipients: what happened, to which tasks."""

    kind: str  # "assigned", "escalated", "returned"
    region: str  # the region whose command is told
    task_ids: tuple[int, ...]
    user_ids: tuple[int, ...] = field(default=())


class Notifier(Protocol):
    def send(self, notice: Notice) -> None: ...


class LoggingNotifier:
    """Writes each notice to the log (``fangkong.worklists.notify``)."""

    def send(self, notice: Notice) -> None:
        log.info("worklists notice %s to region %s users %s: %d task(s) %s", notice.kind, notice.region,
                 list(notice.user_ids), len(notice.task_ids), list(notice.task_ids[:20]))


def notifier() -> Notifier:
    path = getattr(settings, "FANGKONG_WORKLISTS_NOTIFIER", "")
    return import_string(path)() if path else LoggingNotifier()
