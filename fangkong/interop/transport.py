"""The HTTP client of the outbound queue: one POST with a timeout, from the standard library (``urllib``; the
platform pins no HTTP client and needs none for this). Never raises for what the network or the receiver does:
every outcome is an ``Answer`` (a status, or ``None`` when no answer came), which the queue records."""

from __future__ import annotations

import base64
import urllib.error
import urllib.request
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

ANSWER_READ = 64 * 1024  # bytes of an answer read at most
CONTENT_TYPES = {"fhir": "application/fhir+json", "dhis2": "application/json"}


@dataclass(frozen=True)
class Answer:
    status: int | None  # None: no answer (refused connection, timeout, reset)
    text: str


def url_of(base_url: str, path: str) -> str:
    """The destination's base URL and the message's path (``/api/dataValueSets?dryRun=true``)."""
    return urljoin(base_url.rstrip("/") + "/", path.lstrip("/"))


def post(destination, path: str, body: bytes, *, idempotency_key: str, secret: str, timeout: float) -> Answer:
    url = url_of(destination.base_url, path)
    if urlsplit(url).scheme not in ("http", "https"):
        return Answer(None, f"refused to send to {url!r}: not an http(s) address")
    headers = {"Content-Type": CONTENT_TYPES.get(destination.kind, "application/json"),
               "Accept": "application/json", "Idempotency-Key": idempotency_key,
               "User-Agent": "fangkong-interop"}
    if destination.auth == "basic":
        token = base64.b64encode(f"{destination.username}:{secret}".encode()).decode("ascii")
        headers["Authorization"] = f"Basic {token}"
    elif destination.auth == "bearer":
        headers["Authorization"] = f"Bearer {secret}"
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310 (scheme checked)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return Answer(response.status, _text(response.read(ANSWER_READ)))
    except urllib.error.HTTPError as exc:
        return Answer(exc.code, _text(exc.read(ANSWER_READ)))
    except OSError as exc:  # URLError, timeouts, refused or reset connections
        return Answer(None, f"no answer: {getattr(exc, 'reason', exc)}")


def _text(raw: bytes) -> str:
    return raw.decode("utf-8", errors="replace")
