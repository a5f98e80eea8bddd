"""The rules of the closed loop, without the database: which step may follow which, and when the next step
is due (after which a missing step is a break). The services apply them to the models; the evaluation on
the simulator's truth (``evaluation.py``) applies the very same functions to simulated events.

declared → arrived → in transfer → handed over → central quarantine → (in transfer → handed over →) home
health monitoring → released; from any open status a traveller may leave the loop as a case, lost, or
transferred out of the province. A hand-off to central quarantine is acknowledged by the receiver
(handed over) and the traveller then checks in at the site; a hand-off home is acknowledged by the
home county, which starts home health monitoring. A rejected hand-off returns the traveller to the
status before it, with the sender.
"""

from __future__ import annotations

import datetime as dt

DECLARED, ARRIVED, IN_TRANSFER, HANDED_OVER = "declared", "arrived", "in_transfer", "handed_over"
CENTRAL_QUARANTINE, HOME_MONITORING, RELEASED = "central_quarantine", "home_monitoring", "released"
CASE, LOST, TRANSFERRED_OUT = "case", "lost", "transferred_out"
EXITS = (CASE, LOST, TRANSFERRED_OUT)

#: Every step the loop allows, from → to.
TRANSITIONS: dict[str, frozenset[str]] = {
    DECLARED: frozenset({ARRIVED, LOST, TRANSFERRED_OUT}),
    ARRIVED: frozenset({IN_TRANSFER, *EXITS}),
    IN_TRANSFER: frozenset({HANDED_OVER, HOME_MONITORING, ARRIVED, CENTRAL_QUARANTINE, CASE, LOST}),
    HANDED_OVER: frozenset({CENTRAL_QUARANTINE, *EXITS}),
    CENTRAL_QUARANTINE: frozenset({IN_TRANSFER, HOME_MONITORING, RELEASED, *EXITS}),
    HOME_MONITORING: frozenset({RELEASED, *EXITS}),
    RELEASED: frozenset(),
    CASE: frozenset(),
    LOST: frozenset(),
    TRANSFERRED_OUT: frozenset(),
}
#: Steps a user records directly (the others come with a hand-off, its answer, or a case).
RECORDED_STEPS = frozenset({ARRIVED, CENTRAL_QUARANTINE, HOME_MONITORING, RELEASED, LOST, TRANSFERRED_OUT})
#: Steps only a hand-off or its answer makes.
HANDOFF_STEPS = {(IN_TRANSFER, ARRIVED), (IN_TRANSFER, CENTRAL_QUARANTINE), (IN_TRANSFER, HOME_MONITORING)}

#: Hours after arrival by which a traveller must have left the port in a hand-off (点对点转运).
TRANSFER_WITHIN_HOURS = 8
#: Hours after a hand-off to central quarantine is acknowledged by which the traveller checks in at the site.
CHECK_IN_WITHIN_HOURS = 4
#: Hours after the last day of a phase by which the next step (hand-off home, release) is recorded.
PHASE_GRACE_HOURS = 24
#: Default hours from sending a hand-off to its acknowledgement deadline, by stage (the sender may set
#: another): a point-to-point transfer to a quarantine site arrives the same day; a hand-off home may wait
#: for the community's team.
ACK_WITHIN_HOURS = {"quarantine": 8, "home": 24}


def may_step(current: str, target: str) -> bool:
    return target in TRANSITIONS.get(current, frozenset())


def day_end(day: dt.date, tz) -> dt.datetime:
    """The first moment after ``day`` (midnight) in ``tz``."""
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=tz)


def due_after(status: str, at: dt.datetime, *, ack_deadline: dt.datetime | None = None,
              centralised_until: dt.date | None = None, home_until: dt.date | None = None,
              handed_over_stage: str = "quarantine") -> dt.datetime | None:
    """When the step after ``status`` (entered ``at``) is due; None when nothing is due (closed loop,
    declared only, or no period to count)."""
    tz = at.tzinfo
    grace = dt.timedelta(hours=PHASE_GRACE_HOURS)
    if status == ARRIVED:
        return at + dt.timedelta(hours=TRANSFER_WITHIN_HOURS)
    if status == IN_TRANSFER:
        return ack_deadline
    if status == HANDED_OVER:
        return at + dt.timedelta(hours=CHECK_IN_WITHIN_HOURS)
    if status == CENTRAL_QUARANTINE and centralised_until is not None:
        return max(day_end(centralised_until, tz), at) + grace
    if status == HOME_MONITORING and home_until is not None:
        return max(day_end(home_until, tz), at) + grace
    return None


#: The break a missing step after each status is (``LoopBreak.Kind``).
BREAK_OF_STATUS = {
    ARRIVED: "not_transferred",
    IN_TRANSFER: "unacknowledged",
    HANDED_OVER: "no_check_in",
    CENTRAL_QUARANTINE: "not_released",
    HOME_MONITORING: "monitoring_overdue",
}
