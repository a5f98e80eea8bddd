"""The demo's public site: a signing key (made on first use, outside the site), one official notice drafted
by the provincial epidemiologist and approved by the provincial commander, testing sites in Shenzhen and
Guangzhou (Futian's drafted by the Futian commander and approved by Shenzhen's, the others drafted by the
provincial epidemiologist and approved by the provincial commander), and the first edition —
prepared by the provincial commander (the loader's actor) and published by a second provincial commander,
``province_deputy`` (made here; same password as the other demo users): four eyes at every step."""

from __future__ import annotations

import datetime as dt

from fangkong.accounts.models import User
from fangkong.accounts.roles import Role
from fangkong.accounts.services import user_create
from fangkong.bulletins.demo import demo_drafter

from . import conf, services, signing
from .models import Notice, Publication, TestingSite

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


DAILY, WEEKDAYS, WEEKEND = [1, 2, 3, 4, 5, 6, 7], [1, 2, 3, 4, 5], [6, 7]
#: (county, drafter, approver, the site's fields): a handful in Shenzhen and Guangzhou.
TESTING_SITES = (
    ("440304", "futian", "shenzhen", {
        "name_zh": "福田区人民医院核酸采样点", "name_en": "Futian People's Hospital testing site",
        "address_zh": "福田区福华路1号（门诊楼东侧）", "address_en": "1 Fuhua Road, Futian (east of the outpatient building)",
        "weekdays": DAILY, "opens_at": "00:00", "closes_at": "00:00",
        "hours_note_zh": "夜间请走急诊通道。", "hours_note_en": "At night, use the emergency entrance.",
        "services": ["nucleic_acid", "single_tube", "antigen"]}),
    ("440304", "futian", "shenzhen", {
        "name_zh": "莲花街道便民核酸采样点", "name_en": "Lianhua Subdistrict community testing site",
        "address_zh": "福田区红荔路莲花山公园北门", "address_en": "North gate of Lianhuashan Park, Hongli Road, Futian",
        "weekdays": DAILY, "opens_at": "08:00", "closes_at": "20:00",
        "hours_note_zh": "12:00—13:00 暂停采样。", "hours_note_en": "No sampling from 12:00 to 13:00.",
        "services": ["nucleic_acid"]}),
    ("440305", "province_epi", "province", {
        "name_zh": "南山区科技园核酸采样点", "name_en": "Nanshan Science Park testing site",
        "address_zh": "南山区科技南十二路2号", "address_en": "2 Keji South 12th Road, Nanshan",
        "weekdays": WEEKDAYS, "opens_at": "07:30", "closes_at": "19:30", "services": ["nucleic_acid", "antigen"]}),
    ("440303", "province_epi", "province", {
        "name_zh": "罗湖口岸核酸采样点", "name_en": "Luohu Port testing site",
        "address_zh": "罗湖区建设路罗湖口岸广场", "address_en": "Luohu Port Square, Jianshe Road, Luohu",
        "weekdays": DAILY, "opens_at": "08:00", "closes_at": "22:00", "services": ["single_tube"],
        "status": "suspended", "hours_note_zh": "因口岸闭环管理暂停服务。",
        "hours_note_en": "Suspended while the port is under closed-loop management."}),
    ("440106", "province_epi", "province", {
        "name_zh": "天河体育中心核酸采样点", "name_en": "Tianhe Sports Centre testing site",
        "address_zh": "天河区天河路299号体育中心南门", "address_en": "South gate, Sports Centre, 299 Tianhe Road, Tianhe",
        "weekdays": DAILY, "opens_at": "08:00", "closes_at": "20:00", "services": ["nucleic_acid", "antigen"]}),
    ("440104", "province_epi", "province", {
        "name_zh": "越秀区北京街社区卫生服务中心", "name_en": "Beijing Street Community Health Centre, Yuexiu",
        "address_zh": "越秀区北京路文明路口", "address_en": "Corner of Beijing Road and Wenming Road, Yuexiu",
        "weekdays": WEEKEND, "opens_at": "09:00", "closes_at": "17:00", "services": ["nucleic_acid", "single_tube"]}),
    ("440105", "province_epi", "province", {
        "name_zh": "海珠区琶洲核酸采样点", "name_en": "Pazhou testing site, Haizhu",
        "address_zh": "海珠区新港东路琶洲地铁站B出口", "address_en": "Exit B, Pazhou metro station, Xingang East Road, Haizhu",
        "weekdays": WEEKDAYS, "opens_at": "09:00", "closes_at": "18:00", "services": ["nucleic_acid"],
        "status": "closed", "hours_note_zh": "已撤点，请前往就近采样点。",
        "hours_note_en": "Closed: please go to the nearest other site."}),
)


def testing_sites_load() -> int:
    """The demo's testing sites, each drafted by one person and approved by another."""
    if TestingSite.objects.exists():
        return 0
    users = {u.username: u for u in User.objects.filter(username__in={"futian", "shenzhen", "province"})}
    users["province_epi"] = demo_drafter()
    for county, drafter, approver, fields in TESTING_SITES:
        site = services.testing_site_create(actor=users[drafter], region=county, **{
            **fields, "opens_at": dt.time.fromisoformat(fields["opens_at"]),
            "closes_at": dt.time.fromisoformat(fields["closes_at"])})
        services.testing_site_approve(actor=users[approver], site=site)
    return len(TESTING_SITES)


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
    sites = testing_sites_load()
    if sites:
        said.append(f"testing sites: {sites}, drafted and approved by two people each")
    publication = services.publication_prepare(actor=actor)
    publication = services.publication_publish(actor=deputy(), publication=publication)
    return "; ".join([*said, f"demo public site: edition {publication.pk} published ({publication.file_count} files, "
                             f"{len(publication.snapshot['bulletins'])} reports, "
                             f"{len(publication.snapshot['risk_areas'])} risk areas) at /public/, prepared by "
                             f"{actor.username}, published by {DEPUTY}"])
