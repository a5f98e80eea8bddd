"""One input schema per action (``fangkong.inputs``): a posted page form and an import row with the same
values get the same verdict, the same errors and the same validated data; a service's refusal lands under
its field; an unbound form shows its initial values and is not valid."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.test import RequestFactory
from hypothesis import given, settings
from hypothesis import strategies as st
from rest_framework import serializers

from fangkong.api.fields import DateField
from fangkong.inputs import ABSENT, NON_FIELD, ColumnReader, PageForm, error_messages, validate_row


class SampleInput(serializers.Serializer):
    title = serializers.CharField(max_length=20)
    day = DateField(required=False, allow_null=True)
    count = serializers.IntegerField(required=False, min_value=0)
    urgent = serializers.BooleanField(required=False)
    kinds = serializers.MultipleChoiceField(choices=["a", "b"], required=False)

    def validate(self, attrs):
        if attrs.get("urgent") and not attrs.get("day"):
            raise serializers.ValidationError("An urgent entry needs a day.")
        return attrs


def _post(values: dict):
    return RequestFactory().post("/", {k: v for k, v in values.items() if v is not None})


cells = st.one_of(st.none(), st.just(""), st.just(" "), st.text(max_size=25), st.sampled_from(
    ["2022-03-17", "2022-02-30", "0677-01-01", "12", "-1", "1e3", "true", "false", "on", " 7 "]))


@settings(max_examples=300, deadline=None)
@given(st.fixed_dictionaries({}, optional={"title": cells, "day": cells, "count": cells, "urgent": cells}))
def test_a_page_and_an_import_row_with_the_same_values_get_the_same_verdict(row):
    row = {k: v for k, v in row.items() if v is None or "\x00" not in v}
    form = PageForm(SampleInput, _post(row))
    page_ok = form.is_valid()
    data, errors = validate_row(SampleInput, {k: v for k, v in row.items() if v is not None})
    assert page_ok == (data is not None)
    assert form.errors == errors
    if page_ok:
        assert form.data == data


def test_valid_input_is_typed_and_trimmed():
    form = PageForm(SampleInput, _post({"title": "  福田  ", "day": "2022-03-17", "count": "3", "urgent": "on",
                                        "kinds": ["a", "b"]}))
    assert form.is_valid(), form.errors
    assert form.data == {"title": "福田", "day": dt.date(2022, 3, 17), "count": 3, "urgent": True, "kinds": ["a", "b"]}
    assert form.status == 200


def test_bad_input_names_each_field_and_keeps_what_was_typed():
    form = PageForm(SampleInput, _post({"title": "", "day": "2022-02-30", "count": "-1"}))
    assert not form.is_valid()
    assert set(form.errors) == {"title", "day", "count"}
    assert form.values["day"] == "2022-02-30"
    assert form.status == 400


def test_an_error_about_the_whole_input_is_shown_above_the_form():
    form = PageForm(SampleInput, _post({"title": "x", "urgent": "on"}))
    assert not form.is_valid()
    assert form.non_field_errors == ["An urgent entry needs a day."]


def test_a_services_refusal_goes_under_its_field_or_above_the_form():
    form = PageForm(SampleInput, _post({"title": "x"}))
    assert form.is_valid()
    form.add_errors(ValidationError({"title": ["Taken."], "region": ["Not yours."]}))
    form.add_errors(ValidationError("Closed today."))
    assert form.errors == {"title": ["Taken."], NON_FIELD: ["Not yours.", "Closed today."]}
    assert form.status == 400


def test_an_unbound_form_shows_its_initial_values_and_is_not_valid():
    form = PageForm(SampleInput, RequestFactory().get("/"), initial={"title": "草稿", "count": 2})
    assert not form.is_valid()
    assert form.values["title"] == "草稿" and form.values["count"] == "2" and form.values["day"] == ""
    assert form.errors == {} and form.status == 200


def test_an_import_row_reads_an_empty_cell_as_an_empty_field():
    """As an unticked box and an empty list on a posted form: no, none."""
    data, errors = validate_row(SampleInput, {"title": "x", "day": None, "count": ""})
    assert errors == {} and data == {"title": "x", "day": None, "urgent": False, "kinds": []}


def test_error_messages_flattens_nested_errors():
    assert error_messages({"non_field_errors": ["a"], "f": {"g": ["b"]}}) == {NON_FIELD: ["a"], "f": ["g: b"]}


class PerFieldInput(serializers.Serializer):
    """A schema whose rules are all per field (``ColumnReader`` reads it cell by cell)."""

    title = serializers.CharField(max_length=20)
    day = DateField(required=False, allow_null=True)
    count = serializers.IntegerField(required=False, min_value=0)
    urgent = serializers.BooleanField(required=False)
    route = serializers.CharField(default="other", allow_blank=True)

    def validate_route(self, value):
        return value or "other"


_ROW_READER = ColumnReader(PerFieldInput)  # one reader for all the examples: its kept texts shared, as in an import


@settings(max_examples=80, deadline=None)
@given(row=st.fixed_dictionaries({
    "title": st.sampled_from(["", "  ok ", "x" * 21, "标题"]),
    "day": st.sampled_from(["", "2022-03-10", "2022-3-9", "2099-01-01", "1850-01-01", "yesterday"]),
    "count": st.sampled_from(["", "3", "-1", "x", "9" * 30]),
    "urgent": st.sampled_from(["", "true", "false", "maybe", "on"]),
    "route": st.sampled_from(["", "clinic"]),
}))
def test_a_column_reader_gives_each_cell_the_verdict_and_value_of_the_whole_form(row):
    """Cell by cell, the reader says what ``validate_row`` says of the row: the same errors by field and,
    when none, the same typed values (the import's fast path relies on it)."""
    reader = ColumnReader(PerFieldInput)
    values, errors = {}, {}
    for name, text in row.items():
        value, messages = reader.read(name, text.strip())
        if messages:
            errors[name] = list(messages)
        elif value is not ABSENT:
            values[name] = value
    data, expected = validate_row(PerFieldInput, row)
    assert errors == expected
    if not expected:
        assert values == data


@settings(max_examples=120, deadline=None)
@given(row=st.fixed_dictionaries({}, optional={
    "title": st.sampled_from(["", "  ok ", "x" * 21, "标题", None, 7]),
    "day": st.sampled_from(["", "2022-03-10", "yesterday", None, dt.date(2022, 3, 9), dt.date(1850, 1, 1)]),
    "count": st.sampled_from(["", "3", "-1", None, 4, -2]),
    "urgent": st.sampled_from(["", "true", "maybe", None, True]),
    "route": st.sampled_from(["", "clinic", None]),
    "extra": st.sampled_from(["", "ignored"]),
}))
def test_a_column_reader_reads_a_whole_row_as_validate_row_does(row):
    """``read_row`` (an import's rows without a serializer per row: ``persons_import``) answers what
    ``validate_row`` answers — columns missing from the row, empty cells, cells that are not text, and a
    column the schema does not have included; one reader for every row, as an import uses it."""
    assert _ROW_READER.read_row(row) == validate_row(PerFieldInput, row)


def test_a_column_reader_refuses_a_schema_with_rules_across_fields():
    with pytest.raises(TypeError):
        ColumnReader(SampleInput)


def test_a_column_reader_keeps_a_bounded_number_of_texts(monkeypatch):
    """A million distinct names must not be kept: past ``KEPT`` texts the reader forgets and starts again,
    with the same answers."""
    monkeypatch.setattr(ColumnReader, "KEPT", 100)
    reader = ColumnReader(PerFieldInput)
    first = reader.read("title", "t-0")
    for i in range(1000):
        assert reader.read("title", f"t-{i}") == (f"t-{i}", ())
        assert len(reader._read) <= 100
    assert reader.read("title", "t-0") == first and reader.read("title", "x" * 21)[0] is ABSENT
