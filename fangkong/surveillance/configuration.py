"""Configuration of sentinel surveillance: the detection configuration of each level × indicator, and the
response and timeliness targets of a region and below (``response_target_set`` / ``earlies_target_set``).
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from fangkong.accounts.access import can, in_scope
from fangkong.accounts.roles import Capability
from fangkong.audit.models import AuditEvent
from fangkong.audit.services import audit_record
from fangkong.data_generation import bump_data_generation
from fangkong.regions.models import Region
from fangkong.surveillance import detectors
from fangkong.surveillance.models import (
    DetectionConfig,
    EarliesTarget,
    Indicator,
    Level,
    ResponseTarget,
)


def detection_configs_ensure() -> int:
    """Create the default configuration of every indicator × level that has none; returns how many."""
    have = set(DetectionConfig.objects.values_list("indicator_id", "level"))
    new = []
    for indicator in Indicator.objects.all():
        for level in Level.values:
            if (indicator.pk, level) not in have:
                method, params, enabled = detectors.default_config(indicator.code, level)
                new.append(DetectionConfig(indicator=indicator, level=level, method=method, parameters=params,
                                           enabled=enabled))
    DetectionConfig.objects.bulk_create(new)
    return len(new)


def _province_code() -> str:
    root = Region.objects.filter(parent__isnull=True).order_by("code").values_list("code", flat=True).first()
    return root or ""


@transaction.atomic
def detection_config_update(*, actor, config: DetectionConfig, method: str | None = None,
                            parameters: dict | None = None, enabled: bool | None = None,
                            request=None) -> DetectionConfig:
    """Change the method, parameters or switch of a configuration (province-level configurers only)."""
    if not can(actor, Capability.DETECTION_CONFIGURE, _province_code()):
        raise PermissionDenied(_("Only provincial epidemiologists and commanders may configure detection."))
    method = config.method if method is None else method
    parameters = config.parameters if parameters is None else parameters
    problems = detectors.check_parameters(method, parameters)
    if not problems and detectors.is_rate(parameters) and not config.indicator.has_denominator:
        problems = [_("This indicator is reported without a denominator: detect on its counts.")]
    if problems:
        raise ValidationError({"parameters" if method in detectors.METHODS else "method": problems})
    before = {"method": config.method, "parameters": config.parameters, "enabled": config.enabled}
    config.method, config.parameters = method, parameters
    if enabled is not None:
        config.enabled = enabled
    config.updated_by = actor
    config.save()
    audit_record(actor=actor, action=AuditEvent.Action.UPDATE, obj=config, request=request,
                 detail={"before": before, "after": {"method": config.method, "parameters": config.parameters,
                                                     "enabled": config.enabled}})
    return config


@transaction.atomic
def response_target_set(*, actor, region: Region, acknowledge_hours: float, verify_hours: float,
                        response_rate: float, request=None) -> ResponseTarget:
    if not (in_scope(actor, region.code) and can(actor, Capability.DETECTION_CONFIGURE, region.code)):
        raise PermissionDenied(_("You may not set response targets for this region."))
    errors = {}
    if not 0 < acknowledge_hours <= 24 * 30:
        errors["acknowledge_hours"] = [_("Between 0 and 720 hours.")]
    if not 0 < verify_hours <= 24 * 30:
        errors["verify_hours"] = [_("Between 0 and 720 hours.")]
    if not 0 < response_rate <= 1:
        errors["response_rate"] = [_("A share between 0 and 1.")]
    if errors:
        raise ValidationError(errors)
    target, _created = ResponseTarget.objects.update_or_create(
        region=region, defaults={"acknowledge_hours": acknowledge_hours, "verify_hours": verify_hours,
                                 "response_rate": response_rate, "updated_by": actor})
    bump_data_generation()
    audit_record(actor=actor, action=AuditEvent.Action.UPDATE, obj=target, region_code=region.code,
                 request=request, detail={"acknowledge_hours": acknowledge_hours, "verify_hours": verify_hours,
                                          "response_rate": response_rate})
    return target


@transaction.atomic
def earlies_target_set(*, actor, region: Region, request=None, **hours) -> EarliesTarget:
    """Set the four earlies' targets (hours per interval, as the fields of ``EarliesTarget``) of a region
    and below; ``surveillance.configure`` in that region."""
    from fangkong.surveillance.earlies import DEFAULT_TARGETS

    if not (in_scope(actor, region.code) and can(actor, Capability.DETECTION_CONFIGURE, region.code)):
        raise PermissionDenied(_("You may not set the earlies' targets for this region."))
    errors = {name: [_("Unknown target.")] for name in hours if name not in DEFAULT_TARGETS}
    values = {}
    for name in DEFAULT_TARGETS:
        value = hours.get(name)
        if value is None:
            errors[name] = [_("This value is required.")]
        elif isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 24 * 30:
            errors[name] = [_("Between 0 and 720 hours.")]
        else:
            values[name] = float(value)
    if errors:
        raise ValidationError(errors)
    target, _created = EarliesTarget.objects.update_or_create(region=region, defaults={**values, "updated_by": actor})
    bump_data_generation()  # the dashboard shows the earlies against their targets
    audit_record(actor=actor, action=AuditEvent.Action.UPDATE, obj=target, region_code=region.code,
                 request=request, detail=values)
    return target
