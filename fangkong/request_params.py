"""Query and path parameters: declared once per view, checked by type and range before the view runs.

One mechanism for pages and API alike. A view declares its query parameters as a ``Query`` (a DRF
serializer whose fields are the parameters, built from the bounded field types below); the
``ParametersMiddleware`` checks them, and the path parameters, before the view is called, and answers
**400** naming every parameter that does not hold — in the API's error shape
``{"error": {"code": "invalid", "message", "fields"}}`` for the API, as an error page for pages. Nothing
that fails reaches a selector or the database. The view reads the checked, typed values from
``request.params``.

- Pages declare with ``@query_params(SomeQuery)``; DRF views with the class attribute
  ``query_params = {"list": SomeQuery}`` (by action for viewsets, by HTTP method for ``APIView``s);
  the OpenAPI schema documents the same declaration (``fangkong.api.schema``).
- Integers lie within 64 bits (the database's ``bigint``); ids from 1. Page sizes are capped
  (``fangkong.paging.MAX_PAGE_SIZE``). Dates lie in a plausible window (``Window``): from 1900-01-01 to
  a few days after today by default, and not after today for the dates that cannot be in the future
  (onset, exposure). Texts are bounded and hold no NUL (which PostgreSQL cannot store or compare). A
  paging cursor must be one the server made (``fangkong.paging``: signed).
- A parameter given empty (``?date_from=``: a form's blank field) is not given.
- Path parameters: an integer in the path (``<int:case_id>`` in a page's route, the ``{id}`` of an API
  object) must lie in 1 … 2⁶³−1; an API object's id must be a whole number (a route whose lookup is not
  an id declares ``lookup_value_regex``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.core import signing
from django.core.exceptions import ValidationError
from django.http import JsonResponse, QueryDict
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import serializers

from fangkong.regions.codes import CODE_PATTERN

INT64_MAX = 2**63 - 1
MAX_PAGE_SIZE = 200  # rows per page at most, pages and API alike
DEFAULT_PAGE_SIZE = 50
CURSOR_SALT = "fangkong.paging.cursor"
ID_MESSAGE = gettext_lazy("Enter a whole number from 1 to 9223372036854775807.")


@dataclass(frozen=True)
class Window:
    """The plausible days of a kind of date: from ``earliest`` to ``future_days`` after today."""

    earliest: dt.date = dt.date(1900, 1, 1)
    future_days: int = 7

    def latest(self) -> dt.date:
        return timezone.localdate() + dt.timedelta(days=self.future_days)

    def check(self, day: dt.date) -> None:
        """``ValidationError`` naming the window when ``day`` lies outside it."""
        if day < self.earliest:
            raise ValidationError(_("Enter a date from %(earliest)s on.") % {"earliest": self.earliest.isoformat()})
        latest = self.latest()
        if day > latest:
            if self.future_days == 0:
                raise ValidationError(_("This date cannot lie in the future."))
            raise ValidationError(_("Enter a date up to %(latest)s.") % {"latest": latest.isoformat()})


PLAUSIBLE = Window()  # any date the platform records or filters on
PAST = Window(future_days=0)  # onset, exposure, birth: not after today


class ParameterError(ValidationError):
    """Query or path parameters that do not hold, by name (a ``ValidationError`` with a dict)."""


# --- the field types of a declaration -------------------------------------------------------------------


class Integer(serializers.IntegerField):
    """A whole number within 64 bits (``minimum`` … ``maximum``)."""

    def __init__(self, *, minimum: int = 0, maximum: int = INT64_MAX, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(min_value=minimum, max_value=min(maximum, INT64_MAX), **kwargs)

    def to_internal_value(self, data):
        text = str(data).strip()
        if not (text.isascii() and text.removeprefix("-").isdigit()) or len(text) > 100:
            self.fail("invalid")
        return int(text)  # the range is checked by the field's validators


class Id(Integer):
    """The id of a record: 1 … 2⁶³−1."""

    def __init__(self, **kwargs):
        super().__init__(minimum=1, **kwargs)


class Text(serializers.CharField):
    """Free text, at most ``max_length`` characters, without NUL."""

    def __init__(self, *, max_length: int = 100, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(max_length=max_length, **kwargs)

    def to_internal_value(self, data):
        text = super().to_internal_value(data)
        if "\x00" in text:
            raise serializers.ValidationError(_("This text contains a character that cannot be stored."))
        return text


class RegionCode(serializers.RegexField):
    """A GB/T 2260 region code (6, 9 or 12 digits)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(CODE_PATTERN.pattern, max_length=12,
                         error_messages={"invalid": _("Enter a region code of 6, 9 or 12 digits.")}, **kwargs)


class Choice(serializers.ChoiceField):
    def __init__(self, choices, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(choices=choices, **kwargs)


class Choices(serializers.CharField):
    """Several of ``choices`` separated by commas (``confirmed,asymptomatic``); the value is their list."""

    def __init__(self, choices, **kwargs):
        kwargs.setdefault("required", False)
        self.choices = [str(c) for c in choices]
        super().__init__(max_length=50 * max(1, len(self.choices)), **kwargs)

    def to_internal_value(self, data):
        values = [v.strip() for v in super().to_internal_value(data).split(",") if v.strip()]
        unknown = [v for v in values if v not in self.choices]
        if unknown:
            raise serializers.ValidationError(
                _("Choose among: %(choices)s.") % {"choices": ", ".join(self.choices)})
        return values


class Flag(serializers.ChoiceField):
    """Yes (``1``) or no (``0``); the value is a bool."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(choices=["1", "0"], **kwargs)

    def to_internal_value(self, data):
        return super().to_internal_value(data) == "1"


class Day(serializers.DateField):
    """A date ``YYYY-MM-DD`` inside ``window``."""

    def __init__(self, *, window: Window = PLAUSIBLE, **kwargs):
        kwargs.setdefault("required", False)
        self.window = window
        super().__init__(input_formats=["iso-8601"], **kwargs)

    def to_internal_value(self, value):
        day = super().to_internal_value(value)
        try:
            self.window.check(day)
        except ValidationError as exc:
            raise serializers.ValidationError(exc.messages) from exc
        return day


class Cursor(serializers.CharField):
    """A paging cursor as the server made it (``fangkong.paging``): its signature is verified here, and the
    value is its payload (``paging.page_of`` checks that it belongs to the list and ordering)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("help_text", "where to continue: the cursor of a `next` or `previous` link")
        super().__init__(max_length=1000, **kwargs)

    def to_internal_value(self, data):
        try:
            return cursor_payload(super().to_internal_value(data))
        except ValidationError as exc:
            raise serializers.ValidationError(exc.messages) from exc


def cursor_payload(token: str):
    """The payload of a cursor this server signed; ``ValidationError`` for any other token."""
    try:
        return signing.loads(token, salt=CURSOR_SALT)
    except (signing.BadSignature, ValueError, TypeError, UnicodeDecodeError) as exc:
        raise ValidationError(_("This cursor was not made by this server: start again from the first page.")) from exc


class Query(serializers.Serializer):
    """The query parameters of a view (subclass it and declare the fields)."""

    @classmethod
    def parse(cls, query: QueryDict) -> tuple[dict, dict[str, list[str]]]:
        """(values, errors): the typed values of the parameters given, and the messages of those that do
        not hold. A parameter given empty is not given; of a repeated one the last counts."""
        data = {name: value for name, value in query.items() if isinstance(value, str) and value.strip() != ""}
        checker = cls(data=data)
        if checker.is_valid():
            values = {name: None for name in checker.fields}
            values.update(checker.validated_data)
            return values, {}
        return {}, {name: [str(m) for m in (ms if isinstance(ms, list) else [ms])]
                    for name, ms in checker.errors.items()}


class PageQuery(Query):
    """The paging parameters of every list: ``limit`` (rows per page, capped) and ``cursor``."""

    limit = Integer(minimum=1, maximum=MAX_PAGE_SIZE, help_text=f"rows per page (default {DEFAULT_PAGE_SIZE})")
    cursor = Cursor()


def params_of(request) -> dict:
    """The checked parameters of a request (``ParametersMiddleware``); empty outside a request it saw (the
    schema generator asking a view for its queryset)."""
    return getattr(request, "params", None) or {}


def filter_names(declaration: type[Query]) -> list[str]:
    """The parameters of ``declaration`` that filter a list (not its paging or ordering)."""
    return [name for name in declaration._declared_fields if name not in PageQuery._declared_fields
            and name != "ordering"]


def filters_of(params: dict, declaration: type[Query]) -> dict:
    """The filters of ``declaration`` that were given, checked and typed (a selector's ``filters``)."""
    names = filter_names(declaration)
    return {name: value for name, value in params.items() if name in names and value is not None}


def query_params(declaration: type[Query]) -> Callable:
    """Declare the query parameters of a page (a function view)."""

    def declare(view):
        view.fangkong_query = declaration
        return view

    return declare


def declared_query(view_class, action: str, *, paged: bool = False) -> type[Query] | None:
    """The ``Query`` a DRF view declares for an action (a viewset's) or HTTP method (an ``APIView``'s);
    a paged list that declares nothing takes ``PageQuery``."""
    declared = (getattr(view_class, "query_params", None) or {}).get(action)
    if declared is None and paged and getattr(view_class, "pagination_class", None):
        return PageQuery
    return declared


def declaration_of(view_func, method: str) -> type[Query] | None:
    """The ``Query`` a view declares for this request's method (``None``: no query parameters)."""
    declared = getattr(view_func, "fangkong_query", None)
    if declared is not None:
        return declared
    cls = getattr(view_func, "cls", None)
    if cls is None:
        return None
    actions = getattr(view_func, "actions", None)
    action = actions.get(method.lower(), "") if actions else method.lower()
    return declared_query(cls, action, paged=action == "list")


def path_errors(view_func, kwargs: dict) -> tuple[dict, dict[str, list[str]]]:
    """The path parameters converted and checked: integers within 1 … 2⁶³−1; an API object's id (its
    lookup, unless the view declares ``lookup_value_regex``) a whole number in that range."""
    values, errors = dict(kwargs), {}
    cls = getattr(view_func, "cls", None)
    lookup = None
    if cls is not None and not hasattr(cls, "lookup_value_regex"):
        lookup = getattr(cls, "lookup_url_kwarg", None) or getattr(cls, "lookup_field", "pk")
    for name, value in kwargs.items():
        if name == lookup and isinstance(value, str):
            value = int(value) if value.isascii() and value.isdigit() and len(value) <= 19 else -1
        if isinstance(value, int) and not isinstance(value, bool):
            if not 1 <= value <= INT64_MAX:
                errors["id" if name == "pk" and cls is not None else name] = [str(ID_MESSAGE)]
            else:
                values[name] = value
    return values, errors


class ParametersMiddleware:
    """Check every view's path and declared query parameters before it runs; 400 naming each that does
    not hold. Placed after ``DefaultDenyMiddleware``: a page sends an anonymous visitor to sign in first."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        path_values, errors = path_errors(view_func, view_kwargs)
        declaration = declaration_of(view_func, request.method)
        values = {}
        if declaration is not None:
            values, query_errors = declaration.parse(request.GET)
            errors.update(query_errors)
        if errors:
            return invalid_parameters_response(request, errors, api=getattr(view_func, "cls", None) is not None)
        view_kwargs.update(path_values)
        request.params = values
        return None

    def process_exception(self, request, exception):
        """A page whose parameters fail a check made later (a cursor of another list) answers the same 400."""
        if isinstance(exception, ParameterError) and hasattr(exception, "error_dict"):
            return invalid_parameters_response(request, exception.message_dict, api=False)
        return None


def invalid_parameters_response(request, fields: dict[str, list[str]], *, api: bool):
    """400 naming the parameters: the API's error shape, or a page saying what to correct."""
    message = _("Some parameters of the request are not valid.")
    if api or request.path.startswith("/api/"):
        return JsonResponse({"error": {"code": "invalid", "message": message, "fields": fields}}, status=400)
    return render(request, "web/400.html", {"message": message, "fields": fields}, status=400)
