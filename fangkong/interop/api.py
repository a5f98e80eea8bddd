"""REST API of the interop module: the outbound queue in the caller's regions (keyset-paged), read as
aggregates — state, attempts, the receiver's last answer; never a payload; and the FHIR endpoint that takes in
a case-report Bundle (``fhir_import``), answering in FHIR: an ``OperationOutcome``."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import StreamingHttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from fangkong.accounts.access import REGION_SCOPED, can
from fangkong.accounts.need_to_know import Category, Shows
from fangkong.accounts.roles import Capability
from fangkong.cases.api import ImportJobSerializer
from fangkong.cases.jobs import import_job_submit
from fangkong.inputs import api_input

from . import fhir, fhir_bulk, selectors
from .fhir_import import MAX_BUNDLE_BYTES, BundleRefused, Issue, fhir_case_import, operation_outcome
from .inputs import CaseReportSendInput, CaseReportsExportInput, CaseReportsFileInput
from .models import OutboundMessage


class MessageSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    destination = serializers.CharField(source="destination.name")
    kind = serializers.CharField()
    region = serializers.CharField(source="region_id")
    state = serializers.CharField()
    attempts = serializers.IntegerField()
    next_attempt_at = serializers.DateTimeField()
    last_status = serializers.IntegerField(allow_null=True)
    last_answer = serializers.CharField()
    payload_hash = serializers.CharField()
    idempotency_key = serializers.CharField()
    created_at = serializers.DateTimeField()
    delivered_at = serializers.DateTimeField(allow_null=True)


class MessageViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    fangkong_access = REGION_SCOPED
    fangkong_shows = Shows(Category.AGGREGATES)
    serializer_class = MessageSerializer

    def get_queryset(self):
        return selectors.message_list(user=self.request.user)

    def get_object(self):
        return selectors.message_get(user=self.request.user, message_id=self.kwargs["pk"])

    @extend_schema(request=CaseReportSendInput, responses={201: MessageSerializer})
    @action(detail=False, methods=["post"], url_path="case-report")
    def case_report(self, request, format=None):
        """Queue one case's report (a FHIR document Bundle) for a FHIR destination: the same case version is
        one message (200 then, 201 when queued now)."""
        data = CaseReportSendInput(data=request.data)
        data.is_valid(raise_exception=True)
        before = OutboundMessage.objects.count()
        message = fhir.case_report_send(actor=request.user, request=request, **data.validated_data)
        return Response(MessageSerializer(message).data,
                        status=status.HTTP_201_CREATED if OutboundMessage.objects.count() > before else status.HTTP_200_OK)


FHIR_JSON = "application/fhir+json"


class OperationOutcomeIssueSerializer(serializers.Serializer):
    severity = serializers.ChoiceField(choices=["fatal", "error", "warning", "information"])
    code = serializers.CharField()
    diagnostics = serializers.CharField()
    expression = serializers.ListField(child=serializers.CharField(), help_text="FHIRPath of the element")


class OperationOutcomeSerializer(serializers.Serializer):
    """FHIR's answer about an operation (the schema documents the elements this endpoint fills)."""

    resourceType = serializers.ChoiceField(choices=["OperationOutcome"])  # noqa: N815 (FHIR's element name)
    issue = OperationOutcomeIssueSerializer(many=True)


def _outcome(description: str) -> OpenApiResponse:
    return OpenApiResponse(OperationOutcomeSerializer, description=description)


class FhirResponse(Response):
    """An answer in FHIR's own media type."""

    def __init__(self, body: dict, status: int):
        super().__init__(body, status=status, content_type=FHIR_JSON)


class FhirBundleImportView(APIView):
    """Take in one FHIR R4 case-report document Bundle (``application/fhir+json`` or ``application/json``, at
    most 2 MB): the person and the case are registered through their services (201), or the same Bundle sent
    again registers nothing (200); a refusal is an OperationOutcome naming each element (400; 403 outside the
    caller's rights; 409 another Bundle under a used identifier or a case number taken; 413 too large; 415 not
    JSON), and nothing is stored."""

    fangkong_access = REGION_SCOPED
    fangkong_shows = Shows(Category.NAMED)

    @extend_schema(
        request={FHIR_JSON: OpenApiTypes.OBJECT, "application/json": OpenApiTypes.OBJECT},
        responses={(200, FHIR_JSON): _outcome("This Bundle was imported before: nothing registered."),
                   (201, FHIR_JSON): _outcome("The person and the case registered."),
                   (400, FHIR_JSON): _outcome("The Bundle is refused: each issue names its element."),
                   (403, FHIR_JSON): _outcome("The caller may not register this person or case (or, in the "
                                              "platform's error shape, a role without named data)."),
                   (409, FHIR_JSON): _outcome("Another Bundle under this identifier, or the case number is taken."),
                   (413, FHIR_JSON): _outcome("The Bundle is larger than 2 MB."),
                   (415, FHIR_JSON): _outcome("The body is not FHIR JSON.")})
    def post(self, request, *args, **kwargs):
        if not can(request.user, Capability.CASE_WRITE):
            return FhirResponse(operation_outcome([Issue("forbidden", _("Your role may not register cases."))]), 403)
        media = (request.content_type or "").split(";")[0].strip().lower()
        if media not in (FHIR_JSON, "application/json"):
            return FhirResponse(operation_outcome([Issue("not-supported", _("Send the Bundle as %(media)s.")
                                                         % {"media": FHIR_JSON})]), 415)
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        try:  # a body declared too long is not read at all
            imported = fhir_case_import(actor=request.user, body=b"" if length > MAX_BUNDLE_BYTES else request.body,
                                        declared_length=length, request=request)
        except BundleRefused as refused:
            return FhirResponse(operation_outcome(refused.issues), refused.status)
        except PermissionDenied as exc:
            return FhirResponse(operation_outcome([Issue("forbidden", str(exc))]), 403)
        case = imported.case
        message = (_("Case %(number)s registered.") if imported.created
                   else _("This Bundle was imported before: case %(number)s."))
        return FhirResponse(operation_outcome([Issue("informational", message % {"number": case.case_no})],
                                              severity="information"), 201 if imported.created else 200)


class CaseReportsExportView(APIView):
    """The case reports of a region's subtree and a period of report dates, for a FHIR destination: an NDJSON
    file of case-report document Bundles (FHIR bulk data's format), streamed as it is made; ``X-Bundle-Count``
    says how many. Identifiers in clear only for a destination entitled to them, from a sender who may export
    them, with a reason; one audit event (``fhir_bulk.case_reports_export``)."""

    fangkong_access = REGION_SCOPED
    fangkong_shows = Shows(Category.NAMED)

    @extend_schema(request=CaseReportsExportInput,
                   responses={(200, fhir_bulk.MEDIA_TYPE): OpenApiResponse(
                       OpenApiTypes.STR, description="One case-report Bundle (JSON) per line.")})
    def post(self, request):
        made = fhir_bulk.case_reports_export(actor=request.user, request=request,
                                             **api_input(CaseReportsExportInput, request))
        response = StreamingHttpResponse(made.lines, content_type=f"{fhir_bulk.MEDIA_TYPE}; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{made.filename}"'
        response["X-Bundle-Count"] = str(made.count)
        return response


class CaseReportsImportView(APIView):
    """An NDJSON file of FHIR case-report Bundles as one of the platform's import jobs: 202 with the job
    (``/api/v1/import-jobs/<id>/`` follows it: progress, then every refused line with its element); all or
    none, a Bundle imported before is skipped. The role is checked before the upload is read."""

    fangkong_access = REGION_SCOPED
    fangkong_shows = Shows(Category.NAMED)
    parser_classes = (FormParser, MultiPartParser)

    @extend_schema(request={"multipart/form-data": CaseReportsFileInput}, responses={202: ImportJobSerializer})
    def post(self, request):
        fhir_bulk.allowed(request.user)
        data = api_input(CaseReportsFileInput, request)
        job = import_job_submit(actor=request.user, request=request, kind=fhir_bulk.KIND, upload=data["file"])
        return Response(ImportJobSerializer(job).data, status=status.HTTP_202_ACCEPTED)
