"""REST API of the worklists module: tasks in the caller's regions (all, ``overdue``, ``inbox``; keyset-paged),
one task with its history, creating, assigning and moving a task along its state machine; problems (list,
raise one by staff); the responsibility list per unit. Each write takes the same input schema as the page
(``inputs.py``) and the same service."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from fangkong.accounts.access import REGION_SCOPED
from fangkong.accounts.need_to_know import Category, Shows
from fangkong.api.pagination import paged_response
from fangkong.request_params import PageQuery, params_of

from . import selectors, services
from .apps import MANUAL
from .inputs import AssignInput, CalendarDayInput, CalendarQuery, ProblemInput, TaskInput, TaskTransitionInput


class TaskSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    region = serializers.CharField(source="region_id")
    owner_unit = serializers.IntegerField(source="owner_unit_id")
    owner_unit_name = serializers.CharField(source="owner_unit.name")
    owner = serializers.IntegerField(source="owner_id", allow_null=True)
    problem = serializers.IntegerField(source="problem_id", allow_null=True)
    sla_class = serializers.CharField()
    state = serializers.CharField()
    created_at = serializers.DateTimeField()
    deadline = serializers.DateTimeField()
    second_deadline = serializers.DateTimeField()
    submitted_at = serializers.DateTimeField(allow_null=True)
    closed_at = serializers.DateTimeField(allow_null=True)
    escalation_level = serializers.IntegerField()
    escalated_to = serializers.CharField(source="escalated_to_id", allow_null=True)
    escalated_at = serializers.DateTimeField(allow_null=True)


class HistoryRowSerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    kind = serializers.CharField()
    what = serializers.SerializerMethodField()
    actor = serializers.SerializerMethodField()
    note = serializers.SerializerMethodField()

    def get_what(self, row) -> str:
        return row.row.kind if row.kind == "event" else f"level {row.row.level} to {row.row.to_region_id}"

    def get_actor(self, row) -> str:
        return (row.row.actor.username if row.row.actor else "") if row.kind == "event" else ""

    def get_note(self, row) -> str:
        return row.row.note if row.kind == "event" else row.row.reason


class TaskDetailSerializer(TaskSerializer):
    description = serializers.CharField()
    evidence = serializers.CharField()
    reason = serializers.CharField()
    verified_by = serializers.IntegerField(source="verified_by_id", allow_null=True)
    history = serializers.SerializerMethodField()

    @extend_schema_field(HistoryRowSerializer(many=True))
    def get_history(self, task) -> list[dict]:
        return HistoryRowSerializer(selectors.task_history(task), many=True).data


class InboxSerializer(serializers.Serializer):
    new = TaskSerializer(many=True)
    due_soon = TaskSerializer(many=True)
    overdue = TaskSerializer(many=True)
    escalated = TaskSerializer(many=True)


class TaskViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    fangkong_access = REGION_SCOPED
    fangkong_shows = Shows(Category.AGGREGATES)
    serializer_class = TaskSerializer
    query_params = {"overdue": PageQuery}

    def get_queryset(self):
        return selectors.task_list(user=self.request.user)

    def get_object(self):
        return selectors.task_get(user=self.request.user, task_id=self.kwargs["pk"])

    def retrieve(self, request, *args, **kwargs):
        return Response(TaskDetailSerializer(self.get_object()).data)

    @extend_schema(responses=paged_response(TaskSerializer, name="WorklistsTaskPage"))
    @action(detail=False, methods=["get"])
    def overdue(self, request, format=None):
        """Open tasks past their deadline in the caller's regions, the longest overdue first."""
        page = self.paginate_queryset(selectors.overdue_list(user=request.user))
        return self.get_paginated_response(TaskSerializer(page, many=True).data)

    @extend_schema(responses=InboxSerializer)
    @action(detail=False, methods=["get"])
    def inbox(self, request, format=None):
        """The caller's inbox: new, due within a day, overdue, escalated to the caller's regions."""
        return Response(InboxSerializer(selectors.inbox(user=request.user)).data)

    @extend_schema(request=TaskInput, responses={201: TaskDetailSerializer})
    def create(self, request, *args, **kwargs):
        data = TaskInput(data=request.data)
        data.is_valid(raise_exception=True)
        task = services.task_create(actor=request.user, request=request, **data.validated_data)
        return Response(TaskDetailSerializer(task).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=TaskTransitionInput, responses={200: TaskDetailSerializer})
    @action(detail=True, methods=["post"])
    def transition(self, request, pk=None, format=None):
        """Start, submit for close-out (note: the evidence), verify and close, return or cancel (note: why)."""
        task = self.get_object()
        data = TaskTransitionInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.task_transition(actor=request.user, task_id=task.pk, request=request, **data.validated_data)
        return Response(TaskDetailSerializer(self.get_object()).data)

    @extend_schema(request=AssignInput, responses={200: TaskDetailSerializer})
    @action(detail=True, methods=["post"])
    def assign(self, request, pk=None, format=None):
        task = self.get_object()
        data = AssignInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.task_assign(actor=request.user, task_id=task.pk, request=request, **data.validated_data)
        return Response(TaskDetailSerializer(self.get_object()).data)


class ProblemSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    source = serializers.CharField()
    source_key = serializers.CharField()
    region = serializers.CharField(source="region_id")
    severity = serializers.CharField()
    title = serializers.CharField()
    evidence = serializers.CharField()
    link = serializers.CharField()
    found_at = serializers.DateTimeField()
    raised_at = serializers.DateTimeField()


class ProblemViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    fangkong_access = REGION_SCOPED
    fangkong_shows = Shows(Category.AGGREGATES)
    serializer_class = ProblemSerializer

    def get_queryset(self):
        return selectors.problem_list(user=self.request.user)

    def get_object(self):
        return selectors.problem_get(user=self.request.user, problem_id=self.kwargs["pk"])

    @extend_schema(request=ProblemInput, responses={201: ProblemSerializer, 200: ProblemSerializer})
    def create(self, request, *args, **kwargs):
        """Raise a problem found by staff (201), or find it raised already with this reference (200)."""
        data = ProblemInput(data=request.data)
        data.is_valid(raise_exception=True)
        problem, created = services.problem_raise(actor=request.user, source=MANUAL, request=request,
                                                  **data.validated_data)
        return Response(ProblemSerializer(problem).data,
                        status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class ResponsibilitySerializer(serializers.Serializer):
    unit = serializers.IntegerField(source="unit.pk")
    unit_name = serializers.CharField(source="unit.name")
    region = serializers.CharField(source="unit.region_id")
    standing_duties = serializers.CharField(source="unit.standing_duties")
    open = serializers.IntegerField()
    overdue = serializers.IntegerField()
    closed = serializers.IntegerField()
    closed_on_time = serializers.IntegerField()
    on_time_rate = serializers.FloatField(allow_null=True)
    escalations = serializers.IntegerField()


class ResponsibilityView(APIView):
    """The responsibility list: per unit in the caller's regions, open and overdue tasks, on-time rate,
    escalations."""

    fangkong_access = REGION_SCOPED
    fangkong_shows = Shows(Category.AGGREGATES)

    @extend_schema(responses=ResponsibilitySerializer(many=True))
    def get(self, request):
        return Response(ResponsibilitySerializer(selectors.responsibility_list(user=request.user), many=True).data)


class CalendarDaySerializer(serializers.Serializer):
    day = serializers.DateField()
    working = serializers.BooleanField()
    note = serializers.CharField()


class CalendarView(APIView):
    """The working calendar of deadlines: the days of a year (``?year=``, this year by default) that count
    otherwise than their weekday; POST says how one day counts (the provincial commander, ``worklists.calendar``:
    ``holiday`` on a weekday, ``worked`` on a weekend day, ``ordinary`` to remove what was recorded). Deadlines
    already set do not move."""

    fangkong_access = REGION_SCOPED
    fangkong_shows = Shows(Category.AGGREGATES)
    query_params = {"get": CalendarQuery}

    @extend_schema(responses=CalendarDaySerializer(many=True))
    def get(self, request):
        year = params_of(request).get("year") or timezone.localdate().year
        return Response(CalendarDaySerializer(selectors.calendar_days(year=year), many=True).data)

    @extend_schema(request=CalendarDayInput, responses={200: CalendarDaySerializer(many=True)})
    def post(self, request):
        data = CalendarDayInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.calendar_day_set(actor=request.user, request=request, **data.validated_data)
        year = data.validated_data["day"].year
        return Response(CalendarDaySerializer(selectors.calendar_days(year=year), many=True).data)
