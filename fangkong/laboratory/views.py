"""Pages of the laboratory module: read through the selectors, write through the services, input through
the action's schema (``inputs.py``, the same one the API and the import use)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from fangkong.accounts.access import can, memberships_of, region_scoped
from fangkong.accounts.need_to_know import Category, shows
from fangkong.inputs import PageForm

from . import selectors, services
from .apps import WRITE
from .inputs import EntryInput


@region_scoped
@shows(Category.AGGREGATES)
@require_GET
def entry_list(request):
    return render(request, "laboratory/entry_list.html",
                  {"entries": selectors.entry_list(user=request.user)[:50], "may_write": can(request.user, WRITE)})


@region_scoped
@shows(Category.AGGREGATES)
@require_GET
def entry_detail(request, entry_id: int):
    return render(request, "laboratory/entry_list.html",
                  {"entries": [selectors.entry_get(user=request.user, entry_id=entry_id)]})


@region_scoped
@shows(Category.AGGREGATES)
@require_http_methods(["GET", "POST"])
def entry_new(request):
    if not can(request.user, WRITE):
        raise PermissionDenied(_("Your role may not record entries."))
    form = PageForm(EntryInput, request, initial={"region": next(iter(memberships_of(request.user)), ("",))[0]})
    entry = form.submit(services.entry_create, actor=request.user, request=request)
    if entry is not None:
        messages.success(request, _("Entry recorded."))
        return redirect("laboratory:entry-detail", entry_id=entry.pk)
    return render(request, "laboratory/entry_new.html", {"form": form}, status=form.status)
