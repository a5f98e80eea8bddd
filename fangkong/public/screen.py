"""The plain-text screen every text bound for the public site passes (notices when drafted, the whole
edition when prepared): plain text only, bounded in length, no markup, no links outside the allow-list,
nothing shaped like the keyword lists of SEO spam, none of the blocked terms.

It is a second line, not the guarantee: what reaches the public side is what two people approved, frozen
in a signed edition; the screen keeps the approvers from waving through the obvious.
"""

from __future__ import annotations

import re
import unicodedata

from django.conf import settings
from django.utils.translation import gettext as _

LINK = re.compile(r"(?i)\b(?:https?://|www\.)\S+|\b[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:com|net|org|cn|top|xyz|cc|info|"
                  r"vip|me|tv|io)\b(?:/\S*)?")
MARKUP = re.compile(r"<\s*/?\s*[a-zA-Z!?]|&[#a-zA-Z0-9]+;")
KEYWORD_LIST = re.compile(r"(?:[|｜丨].*){3,}")
#: Terms of the injected SEO spam of the source report (``tests/data/spam_lines.txt``) that no bulletin,
#: notice or place name uses; extended with the setting ``PUBLIC_BLOCKED_TERMS``.
BLOCKED_TERMS = ("无码", "中文字幕", "免费视频", "视频网站", "在线观看", "在线播放", "在线视频", "一区二区", "久久", "精品")
ALLOWED_LINK_SUFFIXES = ("gov.cn",)


def _allowed_link(match: str) -> bool:
    host = re.sub(r"(?i)^https?://", "", match).split("/")[0].lower()
    suffixes = tuple(getattr(settings, "PUBLIC_LINK_SUFFIXES", ALLOWED_LINK_SUFFIXES))
    return any(host == s or host.endswith("." + s) for s in suffixes)


def text_problems(value: str, *, max_length: int, multiline: bool = False) -> list[str]:
    """Why ``value`` may not go to the public site (empty: it may)."""
    problems = []
    if len(value) > max_length:
        problems.append(_("At most %(n)d characters.") % {"n": max_length})
    allowed_controls = "\n" if multiline else ""
    if any(unicodedata.category(c) in ("Cc", "Cf") and c not in allowed_controls for c in value):
        problems.append(_("Control or invisible formatting characters are not allowed."))
    if MARKUP.search(value):
        problems.append(_("Plain text only: no markup."))
    if any(not _allowed_link(m.group(0)) for m in LINK.finditer(value)):
        problems.append(_("No links to sites outside the allow-list."))
    lowered = value.lower()
    terms = (*BLOCKED_TERMS, *getattr(settings, "PUBLIC_BLOCKED_TERMS", ()))
    if KEYWORD_LIST.search(value) or any(term.lower() in lowered for term in terms):
        problems.append(_("This text looks like injected spam."))
    return problems
