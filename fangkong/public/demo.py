"""The demo's public site: a signing key (made on first use, outside the site), one official notice drafted
by the provincial epidemiologist and approved by the provincial commander, and the first edition —
prepared by the provincial commander (the loader's actor) and published by a second provincial commander,
``province_deputy`` (made here; same password as the other demo users): four eyes at every step."""

from __future__ import annotations

from fangkong.accounts.models import User
from fangkong.accounts.roles import Role
from fangkong.accounts.services import user_create
from fangkong.bulletins.demo import demo_drafter

from . import conf, services, signing
from .models import Notice, Publication

DEPUTY = "province_deputy"
NOTICE = {
    "title_zh": "关于做好近期疫情防控工作的通告",
    "title_en": "Notice on epidemic prevention and control in the coming weeks",
    "body_zh": "请广大市民坚持戴口罩、勤洗手、常通风、少聚集。\n"
               "出现发热、干咳、乏力、嗅觉味觉减退等症状的，请及时到就近的发热门诊就诊，就医途中全程规范佩戴口罩。\n"
               "中高风险区人员请遵守属地管控要求，配合做好核酸检测。",
    "body_en": "Please keep wearing masks, wash your hands often, air your rooms and avoid gatherings.\n"
               "Anyone with fever, dry cough, fatigue or a reduced sense of smell or taste should go to the "
               "nearest fever clinic, wearing a mask all the way.\n"
               "People in medium- and high-risk areas: follow the local control measures and take part in "
               "the nucleic acid tests.",
}


def deputy() -> User:
    from fangkong.accounts.management.commands.load_demo import DEMO_PASSWORD

    user = User.objects.filter(username=DEPUTY).first()
    if user is None:
        user = user_create(username=DEPUTY, password=DEMO_PASSWORD, memberships=[("440000", Role.PROVINCIAL_COMMANDER)],
                           display_name="省指挥部副指挥长", validate_password=False)
    return user


def key_ensure() -> str:
    path = conf.signing_key_path()
    if path.exists():
        return f"signing key: {path} (kept)"
    signing.key_generate(path)
    return f"signing key: {path} (generated; its public key beside it)"


def demo_load(actor) -> str:
    """This module's demo loader (declared on its ``AppConfig``)."""
    said = [key_ensure()]
    if Publication.objects.exists():
        return "; ".join([*said, "demo public site: already published"])
    if not Notice.objects.exists():
        notice = services.notice_create(actor=demo_drafter(), region="440000", **NOTICE)
        services.notice_approve(actor=actor, notice=notice)
    publication = services.publication_prepare(actor=actor)
    publication = services.publication_publish(actor=deputy(), publication=publication)
    return "; ".join([*said, f"demo public site: edition {publication.pk} published ({publication.file_count} files, "
                             f"{len(publication.snapshot['bulletins'])} reports, "
                             f"{len(publication.snapshot['risk_areas'])} risk areas) at /public/, prepared by "
                             f"{actor.username}, published by {DEPUTY}"])
