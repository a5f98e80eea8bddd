"""Template context of the shell: navigation, the user's scope and the current region."""

from __future__ import annotations

from fangkong.accounts.access import can, memberships_of, scope_prefixes
from fangkong.accounts.need_to_know import url_opens
from fangkong.accounts.roles import Capability, Role
from fangkong.data_generation import current_data_generation
from fangkong.regions.models import Region
from fangkong.regions.selectors import region_list, scope_roots
from fangkong.web.day import chosen_day, data_last_day, is_day_chosen
from fangkong.web.modules import nav_modules

CURRENT_REGION_KEY = "fangkong_current_region"


def modules_open(user) -> list:
    """The modules whose page the user's role may open (need to know), and the planned ones."""
    return [m for m in nav_modules() if not m.url_name or url_opens(user, m.url_name)]


def shell(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_modules": nav_modules()}
    roles = sorted({Role(role).label for _code, role in memberships_of(user)}, key=str)
    return {
        "nav_modules": modules_open(user),
        "scope_roots": scope_roots(user=user),
        "switcher_regions": region_list(user=user).exclude(level=Region.Level.TOWNSHIP).only(
            "code", "name_zh", "name_en", "level"
        ),
        "current_region_code": request.session.get(CURRENT_REGION_KEY, ""),
        # the rendered switcher is kept per scope and region tree (regions bump the data generation)
        "switcher_key": f"{','.join(scope_prefixes(user))}|{current_data_generation()}",
        "user_roles": roles,
        "can_browse_audit": can(user, Capability.AUDIT_BROWSE),
        "can_write_cases": can(user, Capability.CASE_WRITE),  # the cases tabs link the import page
        # the day of every page (``fangkong.web.day``); callables: read only when the top bar is rendered
        "shell_day": lambda: chosen_day(request),
        "shell_day_chosen": lambda: is_day_chosen(request),
        "shell_last_day": lambda: data_last_day(user),
    }
