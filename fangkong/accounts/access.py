"""The one access layer: region scope for every read, capabilities for the rest, default deny.

- ``scope_prefixes(user)``: the code prefixes of the regions the user may see (from memberships only;
  being a Django superuser grants nothing here).
- ``scoped(user, queryset, field)``: the rows whose region code (``field``) lies in the user's scope;
  no memberships, no rows. An object that belongs to more than one region (the sender and the receiver
  of a hand-off; a place and the region of its owner) names all its region fields — ``scoped(user, qs,
  ("from_region__code", "to_region__code"))`` —, and is in scope when any of them is.
- ``in_scope(user, *region_codes)``: the same guard for one object's codes (any of them in scope).
- ``get_in_scope_or_404(user, queryset, field, **lookup)``: one object, or 404 when it does not exist
  *or* lies outside the scope — the two are indistinguishable to the caller.
- ``can(user, capability, region_code)``: whether a membership grants the capability there.
- What a view shows — and so which roles may open it — is declared with ``need_to_know.shows`` and
  checked here before the view runs (the API: ``NeedToKnowPermission``).
- Views declare their access policy with ``@public`` (no sign-in, no data) or ``@region_scoped``
  (signed-in; reads go through the selectors above). ``DefaultDenyMiddleware`` answers 403 to any
  view that declares nothing, so a new endpoint is closed until someone has thought about it.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpResponseForbidden, JsonResponse
from django.utils.translation import gettext as _

from fangkong.accounts.need_to_know import prefixes_q
from fangkong.modules import role_capabilities
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


def in_scope(user, *region_codes: str | None) -> bool:
    """Whether any of the codes (one per region the object belongs to) lies in the user's scope."""
    prefixes = scope_prefixes(user)
    return any(bool(code) and any(code.startswith(p) for p in prefixes) for code in region_codes)


def _region_fields(field: str | Sequence[str]) -> tuple[str, ...]:
    fields = (field,) if isinstance(field, str) else tuple(field)
    if not fields:
        raise ValueError("name at least one region field")
    return fields


def scoped(user, queryset: QuerySet, field: str | Sequence[str], *, within: list[str] | None = None) -> QuerySet:
    """Rows of ``queryset`` whose region code in ``field`` lies in the user's scope (or in ``within``: the
    prefixes where the user may read a category, ``fangkong.accounts.need_to_know.readable``).

    ``field`` may name several region fields of the row (forward fields, no reverse relations): a row
    is in scope when any of them is — the sender *or* the receiver of a hand-off sees it.
    """
    prefixes = scope_prefixes(user) if within is None else within
    if not prefixes:
        return queryset.none()
    return queryset.filter(prefixes_q(_region_fields(field), prefixes))


def get_in_scope_or_404(user, queryset: QuerySet, field: str | Sequence[str], *, within: list[str] | None = None,
                        **lookup):
    """The object, or 404; the refusal is audited (bounded per user), with whether the object exists."""
    try:
        return scoped(user, queryset, field, within=within).get(**lookup)
    except (queryset.model.DoesNotExist, ValueError, TypeError) as exc:
        from fangkong.audit.services import audit_refusal

        try:
            exists = queryset.model._default_manager.filter(**lookup).exists()
        except (ValueError, TypeError):
            exists = False
        audit_refusal(actor=user, object_type=queryset.model._meta.label_lower,
                      object_id=str(next(iter(lookup.values()), ""))[:64],
                      detail={"lookup": {k: str(v)[:64] for k, v in lookup.items()}, "exists": exists,
                              "refused": "out_of_scope" if exists else "not_found"})
        raise Http404("not found") from exc


def can(user, capability: str, region_code: str | None = None) -> bool:
    """Whether one of the user's memberships grants ``capability`` (in ``region_code`` when given)."""
    for code, role in memberships_of(user):
        if capability not in role_capabilities().get(role, ()):
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
        from fangkong.accounts.need_to_know import endpoint_allows, shows_of

        declared = shows_of(view_func, request.method)
        if declared is None:
            return HttpResponseForbidden("This endpoint has not declared what it shows and is closed.")
        if not endpoint_allows(request.user, declared):
            raise PermissionDenied(_("Your role does not need the data this page shows."))
        return None
