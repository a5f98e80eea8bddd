"""One input schema per action, shared by the page, the API and the import (issue 15, item 1).

**The choice: DRF serializers.** The API already speaks them, the query-parameter declarations
(``fangkong.request_params``) are serializers, and the date fields with their plausibility windows
(``fangkong.api.fields``) are serializer fields; Django forms would be a second set of fields with a second
date parser and a second error format. So each user action has one ``serializers.Serializer`` in its
module's ``inputs.py``, and:

- the **API** validates ``request.data`` with it (:func:`api_input`; DRF's 400 error shape);
- a **page** binds the posted form to it through :class:`PageForm`, which keeps what was typed for the
  form to show again and the errors by field (the schema's and the service's);
- an **import** validates each row with :func:`validate_row`, which reads a row exactly as a posted form
  is read (an empty cell is an empty form field), so a row and a form with the same values get the same
  verdict and the same validated data; an import's fast path (a million rows) reads the cells with
  :class:`ColumnReader` instead — the same fields, each distinct text of a column once.

The service then takes the validated data, owns its transaction and its audit event, and may still refuse
with a Django ``ValidationError`` (a rule that needs the database), under the names of the schema's fields:
the page shows it under the field (:meth:`PageForm.submit` runs the service and keeps its refusal), the
API answers it in the same error shape (``fangkong.api.errors``), the import reports it against the row
(:func:`error_messages`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from django.core.exceptions import ValidationError
from django.http import QueryDict
from django.utils.translation import pgettext
from rest_framework import serializers
from rest_framework.fields import SkipField

NON_FIELD = "__all__"


def _messages(detail) -> list[str]:
    if isinstance(detail, dict):  # a nested serializer's errors: "field: message"
        return [f"{key}: {m}" for key, value in detail.items() for m in _messages(value)]
    if isinstance(detail, list | tuple):
        return [m for item in detail for m in _messages(item)]
    return [str(detail)]


def error_messages(errors) -> dict[str, list[str]]:
    """Errors by field as plain strings, from a serializer's ``errors`` or a Django ``ValidationError``;
    errors about the whole input under ``__all__``."""
    if isinstance(errors, ValidationError):
        errors = errors.message_dict if hasattr(errors, "error_dict") else {NON_FIELD: errors.messages}
    if not isinstance(errors, Mapping):
        return {NON_FIELD: _messages(errors)}
    out: dict[str, list[str]] = {}
    for key, detail in errors.items():
        name = NON_FIELD if key in (serializers.api_settings.NON_FIELD_ERRORS_KEY, NON_FIELD) else key
        out.setdefault(name, []).extend(_messages(detail))
    return out


def api_input(schema: type[serializers.Serializer], request, *, context: Mapping | None = None) -> dict:
    """An API request's body through the action's schema: the validated data, or DRF's ``ValidationError``
    (the API's 400 answer, ``fangkong.api.errors``)."""
    serializer = schema(data=request.data, context={"request": request, **(context or {})})
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def error_summary(errors: Mapping[str, list[str]]) -> str:
    """Errors by field (``error_messages``, ``PageForm.errors``) as one message, the clauses separated by
    the language's semicolon ("；" in Chinese, as the ``semicolon`` template tag)."""
    return pgettext("punctuation", "; ").join(m for messages in errors.values() for m in messages)


def as_form_data(row: Mapping[str, object]) -> QueryDict:
    """A row of an import (cell values, ``None`` for an empty cell; a list for a field of several values)
    or a posted form, as the form a page posts: text trimmed, an empty cell an empty field."""
    data = QueryDict(mutable=True)
    for key, value in row.items():
        values = value if isinstance(value, list | tuple) else [value]
        data.setlist(str(key), ["" if v is None else str(v).strip() for v in values])
    return data


class PageForm:
    """A page's form bound to an action's schema: ``values`` to show again (``lists``: every value of a field
    posted several times, as ticked boxes), ``errors`` by field.

    On a GET the form is unbound and shows ``initial``; on a POST it reads ``request.POST`` the way
    :func:`validate_row` reads an import row. :meth:`submit` runs the schema and then the service on the
    validated data, keeping the refusal of either by field; ``is_valid()`` / ``data`` / :meth:`add_errors`
    are its steps, for a page that must do something between them.
    """

    def __init__(self, schema: type[serializers.Serializer], request, *, initial: Mapping | None = None,
                 context: Mapping | None = None):
        self.bound = request.method == "POST"
        names = list(schema().fields)
        if self.bound:
            self.values = {name: request.POST.get(name, "").strip() for name in names}
            posted = {name: request.POST.getlist(name) for name in names if name in request.POST}
            self.lists = {name: [value.strip() for value in values] for name, values in posted.items()}
            self._serializer = schema(data=as_form_data(posted),
                                      context={"request": request, **(context or {})})
        else:
            self.values = {name: "" if (initial or {}).get(name) is None else str(initial[name]) for name in names}
            self.lists = {name: [str(v) for v in value] for name, value in (initial or {}).items()
                          if name in names and isinstance(value, list | tuple)}
            self._serializer = None
        self.errors: dict[str, list[str]] = {}
        self.data: dict = {}

    def is_valid(self) -> bool:
        if not self.bound:
            return False
        if self._serializer.is_valid():
            self.data = dict(self._serializer.validated_data)
            return True
        self.errors = error_messages(self._serializer.errors)
        return False

    def submit(self, action: Callable, /, *, refusals: Mapping[type[Exception], str] | None = None, **context):
        """The page's action: when the posted form is valid, ``action(**validated data, **context)`` (what
        ``context`` names wins over the form's field of that name) and its result; ``None`` when the form is
        not posted, invalid or refused. The action's ``ValidationError`` goes under the fields it names;
        an exception of a class in ``refusals`` under the field named there (``NON_FIELD``: above the form);
        any other propagates (a ``PermissionDenied`` answers 403)."""
        if not self.is_valid():
            return None
        try:
            return action(**{**self.data, **context})
        except ValidationError as exc:
            self.add_errors(exc)
        except tuple(refusals or ()) as exc:
            field = next(name for kind, name in refusals.items() if isinstance(exc, kind))
            self.errors.setdefault(field if field in self.values else NON_FIELD, []).append(str(exc))
        return None

    def add_errors(self, exc: ValidationError) -> None:
        """A service's refusal, shown under the fields it names (or above the form)."""
        for name, messages in error_messages(exc).items():
            self.errors.setdefault(name if name in self.values else NON_FIELD, []).extend(messages)

    @property
    def non_field_errors(self) -> list[str]:
        return self.errors.get(NON_FIELD, [])

    @property
    def status(self) -> int:
        """The page's status: 400 when a posted form was refused."""
        return 400 if self.errors else 200


def validate_row(schema: type[serializers.Serializer], row: Mapping[str, object], *,
                 context: Mapping | None = None) -> tuple[dict | None, dict[str, list[str]]]:
    """One import row through the action's schema: ``(validated data, {})`` or ``(None, errors by column)``."""
    serializer = schema(data=as_form_data(row), context=dict(context or {}))
    if serializer.is_valid():
        return dict(serializer.validated_data), {}
    return None, error_messages(serializer.errors)


ABSENT = object()  # a cell the posted form would leave out of the validated data
NO_MESSAGES: tuple[str, ...] = ()


class _FormField(dict):
    """One posted field, as DRF reads a form (``getlist`` makes it HTML input): a text already stripped."""

    def getlist(self, key, default=None):
        return [self[key]] if key in self else (default or [])


class ColumnReader:
    """An action's schema read one field at a time, each distinct text of a column once: the fast path of a
    large import gives every cell the verdict, the messages and the value that the same text gets as a
    posted form field (read as :func:`validate_row` reads a row: stripped, empty is an empty field), without
    a serializer per row — a million rows hold few distinct dates, codes or regions. The reading repeats
    what ``Serializer.to_internal_value`` does for one field (``get_value``, ``run_validation``, the
    serializer's ``validate_<field>``), so it holds only for a schema whose rules are all per field: a
    schema with a ``validate()`` across fields is refused here (read its rows with :func:`validate_row`).
    A row with an error here is refused as the page refuses the form: with these errors only, before any
    rule of the service is tried. The texts read are kept up to ``KEPT`` at a time (names and numbers are
    distinct per row: a million of them would be kept for nothing), then forgotten."""

    KEPT = 1 << 16

    def __init__(self, schema: type[serializers.Serializer], *, context: Mapping | None = None):
        if schema.validate is not serializers.Serializer.validate:
            raise TypeError(f"{schema.__name__} has rules across fields: read its rows with validate_row")
        self._serializer = schema(context=dict(context or {}))
        self.fields = self._serializer.fields
        self._read: dict[tuple[str, str], tuple[object, tuple[str, ...]]] = {}

    def read_row(self, row: Mapping[str, object]) -> tuple[dict | None, dict[str, list[str]]]:
        """What :func:`validate_row` answers for ``row`` — ``(validated data, {})`` or ``(None, errors by
        field)`` — with each distinct cell read once: an import's rows one by one without a serializer per row.
        A column missing from the row is read as the form leaves out a field it does not post; a cell of
        several values (a list) goes through :func:`validate_row` itself."""
        if any(isinstance(value, list | tuple) for value in row.values()):
            return validate_row(type(self._serializer), row, context=self._serializer.context)
        data, errors = {}, {}
        for name in self.fields:
            value = row.get(name, ABSENT)
            text = None if value is ABSENT else "" if value is None else str(value).strip()
            value, messages = self.read(name, text)
            if messages:
                errors[name] = list(messages)
            elif value is not ABSENT:
                data[name] = value
        return (None, errors) if errors else (data, {})

    def read(self, name: str, text: str | None) -> tuple[object, tuple[str, ...]]:
        """The value of field ``name`` for a cell's text, stripped (``ABSENT`` when the form would leave it
        out, or when it is refused) and the field's messages (none when it is valid). ``None``: the field is
        not posted at all (a column the file does not have)."""
        key = (name, text)
        found = self._read.get(key)
        if found is None:
            if len(self._read) >= self.KEPT:
                self._read.clear()
            found = self._read[key] = self._read_field(name, text)
        return found

    def _read_field(self, name: str, text: str) -> tuple[object, tuple[str, ...]]:
        field = self.fields[name]
        validate = getattr(self._serializer, f"validate_{name}", None)
        try:
            value = field.run_validation(field.get_value(_FormField({} if text is None else {name: text})))
            if validate is not None:
                value = validate(value)
        except serializers.ValidationError as exc:
            return ABSENT, tuple(_messages(exc.detail))
        except ValidationError as exc:
            return ABSENT, tuple(str(m) for m in exc.messages)
        except SkipField:
            return ABSENT, NO_MESSAGES
        return value, NO_MESSAGES
