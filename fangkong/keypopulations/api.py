"""REST API of the key-populations module. Groups and their counts are aggregates; rosters, tests and the
overdue are named data (masked identifiers, ``person_shown``). Writes take the same input schemas as the
pages and the imports (``inputs.py``)."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from fangkong.accounts.access import REGION_SCOPED
from fangkong.accounts.need_to_know import Category, Reach, Shows
from fangkong.api import fields as api_fields
from fangkong.api.parsers import JSONObjectParser
from fangkong.cases.api import ImportJobSerializer
from fangkong.cases.jobs import import_job_submit
from fangkong.inputs import api_input
from fangkong.request_params import params_of

from . import imports, selectors, services
from .inputs import FrequencyInput, GroupInput, MemberInput, PositiveCaseInput, ResultInput
from .models import KeyTest, RosterEntry
from .params import DayQuery, EmployerQuery, OverdueQuery
from .views import shown_member

AGGREGATES = Shows(Category.AGGREGATES)
NAMED = Shows(Category.NAMED)
#: named data of one's own employers' groups too (an enterprise contact, ``selectors.named_groups_q``)
OWN_STAFF = Shows(Category.NAMED, frozenset({Reach.REGION, Reach.OWN_ENTERPRISES}))


class GroupSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    population = serializers.CharField()
    region = serializers.CharField(source="region_id")
    place = serializers.IntegerField(source="place_id", allow_null=True)
    employer_name = serializers.CharField()
    employer_code = serializers.CharField()
    members = serializers.IntegerField(required=False)
    overdue = serializers.IntegerField(required=False)


class MemberSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    group = serializers.IntegerField()
    person = serializers.IntegerField(allow_null=True)
    name = serializers.CharField()
    citizen_id = serializers.CharField(help_text="masked")
    start = api_fields.DateField()
    end = api_fields.DateField(allow_null=True)
    last_test_on = api_fields.DateField(allow_null=True)
    next_due_on = api_fields.DateField(allow_null=True)
    interval_days = serializers.IntegerField(allow_null=True)


def member_data(user, entry, status, codes: list[str]) -> dict:
    shown = shown_member(user, entry, codes)
    return {"id": entry.pk, "group": entry.group_id, "person": shown.person_id if shown else None,
            "name": shown.name if shown else "", "citizen_id": shown.citizen_id if shown else "",
            "start": entry.start, "end": entry.end,
            "last_test_on": status.last_test_on if status else None,
            "next_due_on": status.next_due_on if status else None,
            "interval_days": status.interval_days if status else None}


class RosterFileInput(serializers.Serializer):
    file = serializers.FileField()


def import_job_answer(request, kind: str, allowed) -> Response:
    """202 with the import job (``/api/v1/import-jobs/<id>/`` follows it: progress, then every refused row);
    the role checked before the upload is read."""
    allowed(request.user)
    data = RosterFileInput(data=request.data)
    data.is_valid(raise_exception=True)
    job = import_job_submit(actor=request.user, request=request, kind=kind, upload=data.validated_data["file"])
    return Response(ImportJobSerializer(job).data, status=status.HTTP_202_ACCEPTED)


class GroupViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Key-population groups in the caller's regions, with members and overdue on ``?day=``."""

    fangkong_access = REGION_SCOPED
    fangkong_shows = {"*": AGGREGATES, "roster": OWN_STAFF, "frequency": NAMED, "roster_import": NAMED,
                      "groups_import": NAMED}
    serializer_class = GroupSerializer
    query_params = {"list": DayQuery, "roster": DayQuery}
    parser_classes = (JSONObjectParser, FormParser, MultiPartParser)

    def _day(self):
        return params_of(self.request).get("day") or timezone.localdate()

    def get_queryset(self):
        return selectors.group_list(user=self.request.user, day=self._day()).order_by("id")

    def get_object(self):
        return selectors.group_get(user=self.request.user, group_id=self.kwargs["pk"])

    @extend_schema(request=GroupInput, responses={201: GroupSerializer})
    def create(self, request, *args, **kwargs):
        group = services.group_create(actor=request.user, request=request, **api_input(GroupInput, request))
        return Response(GroupSerializer(group).data, status=status.HTTP_201_CREATED)

    @extend_schema(methods=["get"], responses={200: MemberSerializer(many=True)})
    @extend_schema(methods=["post"], request=MemberInput, responses={201: MemberSerializer})
    # a capped array (at most 500), not a page: the schema says so (paging it like the other lists is to do)
    @action(detail=True, methods=["get", "post"], pagination_class=None)
    def roster(self, request, pk=None, *args, **kwargs):
        """The group's members on ``?day=`` (GET, at most 500) or a person put on its roster (POST)."""
        group = selectors.group_get(user=request.user, group_id=pk, category=Category.NAMED)  # 404 outside
        codes = selectors.employer_codes(request.user)
        if request.method == "POST":
            data = MemberInput(data={**request.data, "group": group.pk})
            data.is_valid(raise_exception=True)
            added = services.member_add(actor=request.user, request=request, **data.validated_data)
            status_row = selectors.with_compliance([added.entry], self._day())[0][1]
            return Response(member_data(request.user, added.entry, status_row, codes),
                            status=status.HTTP_201_CREATED if added.outcome == "created" else status.HTTP_200_OK)
        rows = selectors.roster_rows(user=request.user, group_id=group.pk, day=self._day())
        return Response([member_data(request.user, entry, row, codes) for entry, row in rows])

    @extend_schema(request=FrequencyInput, responses={201: dict})
    @action(detail=True, methods=["post"])
    def frequency(self, request, pk=None, *args, **kwargs):
        """Set the group's frequency from a day on (one the protocol rule in force allows)."""
        row = services.frequency_set(actor=request.user, request=request, group=int(pk),
                                     **api_input(FrequencyInput, request))
        return Response({"group": row.group_id, "days": row.days, "effective_from": row.effective_from.isoformat(),
                         "rule": row.rule.code}, status=status.HTTP_201_CREATED)

    @extend_schema(request={"multipart/form-data": RosterFileInput}, responses={202: ImportJobSerializer})
    @action(detail=False, methods=["post"], url_path="roster-import")
    def roster_import(self, request, *args, **kwargs):
        """A roster file (columns of ``MemberInput``) as an import job: all rows or none; the same file twice
        adds nothing."""
        return import_job_answer(request, imports.ROSTER, imports.manage_allowed)

    @extend_schema(request={"multipart/form-data": RosterFileInput}, responses={202: ImportJobSerializer})
    @action(detail=False, methods=["post"], url_path="import")
    def groups_import(self, request, *args, **kwargs):
        """A file of groups (columns of ``GroupInput``) as an import job: all rows or none, a frequency the
        protocol does not allow refused against its row; the same file twice creates nothing more."""
        return import_job_answer(request, imports.GROUPS, imports.manage_allowed)


class ResultSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    group = serializers.IntegerField(source="group_id")
    person = serializers.IntegerField(source="person_id")
    sampled_on = api_fields.DateField()
    result = serializers.CharField()


class ResultViewSet(viewsets.GenericViewSet):
    """Test results of rostered persons: one entered (POST) or a file of them (``import/``)."""

    fangkong_access = REGION_SCOPED
    fangkong_shows = NAMED
    serializer_class = ResultSerializer
    parser_classes = (JSONObjectParser, FormParser, MultiPartParser)

    def get_queryset(self):
        return KeyTest.objects.none()

    @extend_schema(request=ResultInput, responses={201: ResultSerializer})
    def create(self, request, *args, **kwargs):
        test, outcome = services.result_record(actor=request.user, request=request, **api_input(ResultInput, request))
        return Response(ResultSerializer(test).data,
                        status=status.HTTP_201_CREATED if outcome == "created" else status.HTTP_200_OK)

    @extend_schema(request=PositiveCaseInput, responses={201: dict, 200: dict})
    @action(detail=False, methods=["post"], url_path="case")
    def case(self, request, *args, **kwargs):
        """A positive test's case, registered through the cases service (once: asked again, the same case)."""
        data = api_input(PositiveCaseInput, request)  # validated first: the test's id is a number of the schema
        had = KeyTest.objects.filter(pk=data["test"], case__isnull=False).exists()
        test = services.positive_to_case(actor=request.user, request=request, **data)
        return Response({"test": test.pk, "case": test.case_id, "case_no": test.case.case_no},
                        status=status.HTTP_200_OK if had else status.HTTP_201_CREATED)

    @extend_schema(request={"multipart/form-data": RosterFileInput}, responses={202: ImportJobSerializer})
    @action(detail=False, methods=["post"], url_path="import")
    def import_file(self, request, *args, **kwargs):
        """A file of test results (columns of ``ResultInput``) as an import job: all rows or none."""
        return import_job_answer(request, imports.RESULTS, imports.results_allowed)


class OverdueViewSet(viewsets.GenericViewSet):
    """Persons overdue on ``?day=`` in the caller's groups, by group, employer, place or region (at most 1,000)."""

    fangkong_access = REGION_SCOPED
    fangkong_shows = NAMED
    serializer_class = MemberSerializer
    query_params = {"list": OverdueQuery}
    pagination_class = None  # a capped array (at most 1,000), not a page: the schema says so

    def get_queryset(self):
        return RosterEntry.objects.none()

    @extend_schema(responses={200: MemberSerializer(many=True)})
    def list(self, request, *args, **kwargs):
        params = params_of(request)
        day = params.get("day") or timezone.localdate()
        entries = list(selectors.overdue_entries(
            user=request.user, day=day, group=params.get("group"), employer=params.get("employer") or "",
            place=params.get("place"), region=params.get("region") or "")[:1000])
        codes = selectors.employer_codes(request.user)
        return Response([member_data(request.user, entry, row, codes)
                         for entry, row in selectors.with_compliance(entries, day)])


class EmployerStaffViewSet(viewsets.GenericViewSet):
    """An employer's contact: its own staff on ``?day=`` with their due days, overdue first, paged like every
    list (``?limit=&cursor=``); ``?employer=`` one of its employers (404 for another)."""

    fangkong_access = REGION_SCOPED
    fangkong_shows = Shows(Category.NAMED, frozenset({Reach.OWN_ENTERPRISES}))  # the employer's contact only
    serializer_class = MemberSerializer
    query_params = {"list": EmployerQuery}
    orderings = {"due": selectors.EMPLOYER_ORDER}
    default_ordering = "due"

    def get_queryset(self):
        return RosterEntry.objects.none()

    @extend_schema(responses={200: MemberSerializer(many=True)})
    def list(self, request, *args, **kwargs):
        params = params_of(request)
        day = params.get("day") or timezone.localdate()
        staff = selectors.employer_staff(user=request.user, day=day, employer=params.get("employer") or "")
        page = self.paginate_queryset(staff)
        codes = selectors.employer_codes(request.user)
        return self.get_paginated_response([member_data(request.user, entry, row, codes)
                                            for entry, row in selectors.with_compliance(page, day)])
