"""The writes of sentinel surveillance, one module per concern; this module names them all in one place.

- ``reports``: ``report_submit`` (one count by a reporter; the same key again is a correction),
  ``site_day_report`` (a site's day at once), ``reports_import`` (many rows, all valid or nothing saved),
  ``parse_report_file`` and ``reports_import_allowed_check``;
- ``configuration``: ``detection_configs_ensure``, ``detection_config_update``, ``response_target_set``,
  ``earlies_target_set``;
- ``detection``: ``detection_run`` (signals and alerts for a period, idempotent);
- ``lifecycle``: ``alert_transition`` (along ``TRANSITIONS``), ``alert_open_cluster``, ``alert_open_case``;
- ``catalogue``: ``indicators_ensure`` (the standard indicators).

Each validates first and changes nothing when the input is wrong (``ValidationError`` with messages per
field, or per row for an import), runs in a transaction, bumps the data generation when it wrote what the
dashboard's figures read, and writes an audit event. Other apps import the operations from here; a
module's private helpers stay in it (the import contract ``private_names``).
"""

from __future__ import annotations

from fangkong.surveillance.catalogue import STANDARD_INDICATORS, indicators_ensure
from fangkong.surveillance.configuration import (
    detection_config_update,
    detection_configs_ensure,
    earlies_target_set,
    response_target_set,
)
from fangkong.surveillance.detection import OPEN_STATUSES, DetectionSummary, detection_run
from fangkong.surveillance.lifecycle import TRANSITIONS, alert_open_case, alert_open_cluster, alert_transition
from fangkong.surveillance.reports import (
    IMPORT_COLUMNS,
    IMPORT_LIMITS,
    IMPORT_MAX_ROWS,
    MAX_COUNT,
    DayReportResult,
    ImportResult,
    ReportResult,
    parse_report_file,
    report_submit,
    reports_import,
    reports_import_allowed_check,
    site_day_report,
)

__all__ = [
    "IMPORT_COLUMNS", "IMPORT_LIMITS", "IMPORT_MAX_ROWS", "MAX_COUNT", "OPEN_STATUSES", "STANDARD_INDICATORS",
    "TRANSITIONS", "DayReportResult", "DetectionSummary", "ImportResult", "ReportResult", "alert_open_case",
    "alert_open_cluster", "alert_transition", "detection_config_update", "detection_configs_ensure",
    "detection_run", "earlies_target_set", "indicators_ensure", "parse_report_file", "report_submit",
    "reports_import", "reports_import_allowed_check", "response_target_set", "site_day_report",
]
