"""Travellers' identity documents as identifiers: validated, then kept only as keyed hash, sealed and mask,
with the registry's own protection (``fangkong.persons.protection``). A citizen ID is hashed with the
registry's purpose, so a traveller's hash equals the registered person's; passports and home-return permits
each have their own purpose (a passport number and a citizen ID that happened to be equal stay apart)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.utils.translation import gettext as _

from fangkong.persons import protection
from fangkong.persons.citizen_id import CitizenIdError, parse_citizen_id

from .models import IdKind

PURPOSE = {IdKind.CITIZEN_ID: "citizen_id", IdKind.PASSPORT: "passport", IdKind.PERMIT: "travel_permit"}
PASSPORT = re.compile(r"[A-Z0-9]{5,20}")
PERMIT = re.compile(r"[HMCT][0-9]{8,10}")


class DocumentError(ValueError):
    """A document number that is not valid for its kind; the message says why."""


@dataclass(frozen=True)
class Document:
    kind: str
    number: str  # normalised, never stored

    @property
    def masked(self) -> str:
        """The citizen ID's region digits (``mask_citizen_id``); of a passport or permit its letter of kind
        only (``E`` ordinary passport, ``H`` Hong Kong permit): the digits would narrow the number."""
        keep = 6 if self.kind == IdKind.CITIZEN_ID else 1
        return self.number[:keep] + "*" * (len(self.number) - keep)


def document_parse(kind: str, raw: str) -> Document:
    text = re.sub(r"\s+", "", raw or "").upper()
    if kind == IdKind.CITIZEN_ID:
        try:
            return Document(kind, parse_citizen_id(text).number)
        except CitizenIdError as exc:
            raise DocumentError(str(exc)) from exc
    if kind == IdKind.PASSPORT:
        if not PASSPORT.fullmatch(text):
            raise DocumentError(_("A passport number is 5 to 20 letters and digits."))
        return Document(kind, text)
    if kind == IdKind.PERMIT:
        if not PERMIT.fullmatch(text):
            raise DocumentError(_("A home-return permit number is H, M, C or T followed by 8 to 10 digits."))
        return Document(kind, text)
    raise DocumentError(_("Choose the kind of document."))


def document_hash(document: Document) -> str:
    return protection.keyed_hash(document.number, PURPOSE[document.kind])


def documents_protect(documents: list[Document]) -> list[tuple[str, str, str]]:
    """(keyed hash, sealed, mask) of each document, in bulk (one key schedule per kind)."""
    out: list[tuple[str, str, str] | None] = [None] * len(documents)
    for kind, purpose in PURPOSE.items():
        rows = [i for i, d in enumerate(documents) if d.kind == kind]
        if not rows:
            continue
        numbers = [documents[i].number for i in rows]
        for i, digest, sealed in zip(rows, protection.keyed_hashes(numbers, purpose),
                                     protection.encrypt_many(numbers, purpose), strict=True):
            out[i] = (digest, sealed, documents[i].masked)
    return out


def document_reveal(kind: str, sealed: str) -> str:
    return protection.decrypt(sealed, PURPOSE[kind])
