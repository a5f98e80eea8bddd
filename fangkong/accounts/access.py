"""The one access layer: region scope for every read, capabilities for the rest, default deny.

- ``scope_prefixes(user)``: the code prefixes of the regions the user may see (from memberships only;
  being a Django superuser grants nothing here).
- ``scoped(user, queryset, field)``: the rows whose region code (``field``) lies in the user's scope;
  no memberships, no rows.
- ``get_in_scope_or_404(user, queryset, field, **lookup)``: one object, or 404 when it does not exist
  *or* lies outside the scope — the two are indistinguishable to the caller.
- ``can(user, capability, region_code)``: whether a membership grants the capability there.
- Views declare their access policy with ``@public`` (no sign-in, no data) or ``@region_scoped``
  (signed-in; reads go through the selectors above). ``DefaultDenyMiddleware`` answers 403 to any
  view that declares nothing, so a new endpoint is closed until someone has thought about it.
"""

from __future__ import annotations

from functools import reduce
from operator import or_

from django.contrib.auth.views import redirect_to_login
from django.db.models import Q, QuerySet
from django.http import Http404, HttpResponseForbidden, JsonResponse

from fangkong.accounts.roles import ROLE_CAPABILITIES
from fangkong.regions.codes import covers, subtree_prefix

PUBLIC = "public"
REGION_SCOPED = "region_scoped"
_CACHE_ATTR = "_fangkong_memberships"


def public(view):
    """Declare a view that needs no sign-in and shows no scoped data (sign-in page, language switch)."""
    view.fangkong_access = PUBLIC
    return view


def region_scoped(view):
    """Declare a view that needs a signed-in user and reads only through scoped selectors."""
    view.fangkong_access = REGION_SCOPED
    return view


def memberships_of(user) -> list[tuple[str, str]]:
    """(region code, role) pairs of the user, cached on the user object for the request."""
    if user is None or not user.is_authenticated or not user.is_active:
        return []
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is None:
        cached = list(user.memberships.values_list("region_id", "role"))
        setattr(user, _CACHE_ATTR, cached)
    return cached


def scope_prefixes(user) -> list[str]:
    prefixes = sorted({subtree_prefix(code) for code, _role in memberships_of(user)})
    # A prefix already covered by a shorter one adds nothing.
    return [p for p in prefixes if not any(p != q and p.startswith(q) for q in prefixes)]


def in_scope(user, region_code: str | None) -> bool:
    return bool(region_code) and any(region_code.startswith(p) for p in scope_prefixes(user))


def scoped(user, queryset: QuerySet, field: str) -> QuerySet:
    """Rows of ``queryset`` whose region code in ``field`` lies in the user's scope."""
    prefixes = scope_prefixes(user)
    if not prefixes:
        return queryset.none()
    return queryset.filter(reduce(or_, (Q(**{f"{field}__startswith": p}) for p in prefixes)))


def get_in_scope_or_404(user, queryset: QuerySet, field: str, **lookup):
    try:
        return scoped(user, queryset, field).get(**lookup)
    except (queryset.model.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("not found") from exc


def can(user, capability: str, region_code: str | None = None) -> bool:
    """Whether one of the user's memberships grants ``capability`` (in ``region_code`` when given)."""
    for code, role in memberships_of(user):
        if capability not in ROLE_CAPABILITIES.get(role, ()):
            continue
        if region_code is None or covers(code, region_code):
            return True
    return False


def access_policy_of(view_func) -> str | None:
    declared = getattr(view_func, "fangkong_access", None)
    if declared:
        return declared
    for attr in ("view_class", "cls"):
        cls = getattr(view_func, attr, None)
        if cls is not None and getattr(cls, "fangkong_access", None):
            return cls.fangkong_access
    return None


def is_api_view(view_func) -> bool:
    return getattr(view_func, "cls", None) is not None


class DefaultDenyMiddleware:
    """Refuse every view that has not declared an access policy; send anonymous users to sign in."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        policy = access_policy_of(view_func)
        if policy is None:
            message = "This endpoint has not declared its access policy and is closed."
            if request.path.startswith("/api/"):
                return JsonResponse({"error": {"code": "access_undeclared", "message": message, "fields": {}}},
                                    status=403)
            return HttpResponseForbidden(message)
        if policy == PUBLIC or is_api_view(view_func):
            return None  # the API authenticates itself (session or token) and requires a user
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        return None
