"""REST API of the follow-up module: the day's list of a region (named: the worker must know whom to
call), one check recorded with the same input schema as the page (``inputs.CheckInput``), the overdue and
symptomatic lists (named), and the day's counts (aggregates: the dashboard's figures)."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from fangkong.accounts.access import REGION_SCOPED
from fangkong.accounts.need_to_know import Category, Shows
from fangkong.api import fields as api_fields
from fangkong.cases.api import ImportJobSerializer
from fangkong.cases.jobs import import_job_submit
from fangkong.inputs import api_input
from fangkong.persons.shown import person_shown
from fangkong.request_params import params_of

from . import imports, selectors, services
from .inputs import CheckInput, ChecksFileInput, ResultInput
from .params import DayQuery, DueQuery

PAGE = 50


def _person(request, subject) -> dict:
    shown = person_shown(request.user, subject.person, subject.region_id)
    return {"name": shown.name, "phone_masked": shown.phone} if shown and shown.named else {"name": "", "phone_masked": ""}


class CheckSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    subject = serializers.IntegerField(source="subject_id")
    day = serializers.DateField()
    slot = serializers.CharField()
    outcome = serializers.CharField()
    temperature = serializers.DecimalField(max_digits=3, decimal_places=1, allow_null=True)
    symptoms = serializers.ListField(child=serializers.CharField())
    note = serializers.CharField()
    checked_at = api_fields.DateTimeField(allow_null=True)


class TestDueSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    due_date = serializers.DateField()
    phase = serializers.CharField()
    day = serializers.IntegerField()
    status = serializers.CharField()


def _subject(request, subject) -> dict:
    return {"id": subject.pk, "label": subject.label, "region": subject.region_id, "category": subject.category,
            **_person(request, subject), "first_day": subject.first_day.isoformat(),
            "last_day": subject.last_day.isoformat(),
            "symptomatic_since": subject.symptomatic_since.isoformat() if subject.symptomatic_since else None}


class DueView(APIView):
    """The persons under management on ``?day=`` (default today) in the caller's regions (``?region=``
    narrows), with the day's checks, the slots still open and the tests due or overdue; ``?open=1`` only
    those still to check. Paged by ``?after=`` (the last id of the previous page) and ``?limit=``."""

    fangkong_access = REGION_SCOPED
    fangkong_shows = Shows(Category.NAMED)
    query_params = {"get": DueQuery}

    @extend_schema(responses=dict)
    def get(self, request):
        params = params_of(request)
        day = params.get("day") or timezone.localdate()
        limit = params.get("limit") or PAGE
        rows = selectors.due_list(user=request.user, day=day, region=params.get("region"),
                                  open_only=bool(params.get("open")), limit=limit + 1, after=params.get("after") or 0)
        more = len(rows) > limit
        rows = rows[:limit]
        return Response({
            "day": day.isoformat(), "next_after": rows[-1].subject.pk if more else None,
            "results": [{**_subject(request, r.subject), "day_number": r.day_number, "phase": r.phase,
                         "open_slots": r.open_slots, "checks": CheckSerializer(list(r.checks.values()), many=True).data,
                         "tests": TestDueSerializer(r.tests, many=True).data} for r in rows]})


class CheckCreateView(APIView):
    """Record one daily health check (the page's schema): 201 with the check; field errors in the error
    shape (temperature outside 34–43 °C, a day in the future or outside the period, a person no longer
    under management, a second check for the same day and slot)."""

    fangkong_access = REGION_SCOPED
    fangkong_shows = Shows(Category.NAMED)

    @extend_schema(request=CheckInput, responses={201: CheckSerializer})
    def post(self, request):
        values = api_input(CheckInput, request)
        subject = selectors.subject_get(user=request.user, subject_id=values.pop("subject"))
        check = services.health_check_record(actor=request.user, subject=subject, request=request, **values)
        return Response(CheckSerializer(check).data, status=status.HTTP_201_CREATED)


class TestSerializer(TestDueSerializer):
    subject = serializers.IntegerField(source="subject_id")
    taken_on = serializers.DateField(allow_null=True)
    result = serializers.CharField()


class ResultCreateView(APIView):
    """Record a test's sample and result by person and scheduled day (an import, the laboratory): 200 with
    the test; a day without a scheduled test is refused (``due_date``), naming the days scheduled."""

    fangkong_access = REGION_SCOPED
    fangkong_shows = Shows(Category.NAMED)

    @extend_schema(request=ResultInput, responses={200: TestSerializer})
    def post(self, request):
        values = api_input(ResultInput, request)
        subject = selectors.subject_get(user=request.user, subject_id=values.pop("subject"))
        test = services.result_record(actor=request.user, subject=subject, request=request, **values)
        return Response(TestSerializer(test).data)


class OverdueView(APIView):
    """Persons with fever, symptoms or a positive test; missed checks of the last week; overdue tests."""

    fangkong_access = REGION_SCOPED
    fangkong_shows = Shows(Category.NAMED)
    query_params = {"get": DayQuery}

    @extend_schema(responses=dict)
    def get(self, request):
        params = params_of(request)
        day, region = params.get("day") or timezone.localdate(), params.get("region")
        return Response({
            "day": day.isoformat(),
            "symptomatic": [_subject(request, s) for s in selectors.symptomatic_subjects(user=request.user, region=region)],
            "missed": [{"subject": _subject(request, c.subject), "day": c.day.isoformat(), "slot": c.slot}
                       for c in selectors.missed_checks(user=request.user, day=day, region=region)],
            "overdue_tests": [{"subject": _subject(request, t.subject), **TestDueSerializer(t).data}
                              for t in selectors.overdue_tests(user=request.user, day=day, region=region)]})


class CountsView(APIView):
    """The day's follow-up counts in the caller's regions (``?region=`` narrows): persons due, fully
    checked, with a missed check, with fever or symptoms; tests due and samples taken."""

    fangkong_access = REGION_SCOPED
    fangkong_shows = Shows(Category.AGGREGATES)
    query_params = {"get": DayQuery}

    @extend_schema(responses=dict)
    def get(self, request):
        params = params_of(request)
        day = params.get("day") or timezone.localdate()
        return Response({"day": day.isoformat(),
                         **selectors.followup_counts(user=request.user, day=day, region=params.get("region"))})


class SiteCountsView(APIView):
    """The day's completeness per quarantine site (``?region=`` narrows) for the sites the caller may see — a
    quarantine-site manager its own sites only: persons placed there and under management, fully checked,
    with a missed check, with fever or symptoms, and their shares in per cent of those due."""

    fangkong_access = REGION_SCOPED
    fangkong_shows = Shows(Category.AGGREGATES)
    query_params = {"get": DayQuery}

    @extend_schema(responses=dict)
    def get(self, request):
        params = params_of(request)
        day = params.get("day") or timezone.localdate()
        return Response({"day": day.isoformat(), "sites": [
            {"site": row.site_id, "name": row.name, "region": row.region_id, "due": row.due, "checked": row.checked,
             "missed": row.missed, "symptomatic": row.symptomatic, "shares": row.shares}
            for row in selectors.site_counts(user=request.user, day=day, region=params.get("region"))]})


class ChecksImportView(APIView):
    """A file of a day's checks (columns of ``inputs.CheckFields``) as one of the platform's import jobs: 202 with
    the job (``/api/v1/import-jobs/<id>/`` follows it: progress, then every refused row); all rows or none, the
    same file twice changes nothing. The role is checked before the upload is read."""

    fangkong_access = REGION_SCOPED
    fangkong_shows = Shows(Category.NAMED)
    parser_classes = (FormParser, MultiPartParser)

    @extend_schema(request={"multipart/form-data": ChecksFileInput}, responses={202: ImportJobSerializer})
    def post(self, request):
        imports.checks_allowed(request.user)
        data = api_input(ChecksFileInput, request)
        job = import_job_submit(actor=request.user, request=request, kind=imports.CHECKS, upload=data["file"])
        return Response(ImportJobSerializer(job).data, status=status.HTTP_202_ACCEPTED)
