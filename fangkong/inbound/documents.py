"""Travellers' identity documents as identifiers: validated, then kept only as keyed hash, sealed and mask,
with the registry's own protection (``fangkong.persons.protection``: a data key per traveller, the hash under
the keyring's epoch, both rotated by a purge — crypto-shredding). A citizen ID is hashed with the registry's
purpose, so a traveller's hash equals the registered person's; passports and home-return permits each have
their own purpose (a passport number and a citizen ID that happened to be equal stay apart)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.utils.translation import gettext as _

from fangkong.persons import keyring, protection
from fangkong.persons.citizen_id import CitizenIdError, parse_citizen_id

from .models import DOCUMENT_PURPOSES, IdKind

PURPOSE = DOCUMENT_PURPOSES
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
    """The hash a traveller written now stores for ``document``."""
    return protection.identifier_hash(document.number, PURPOSE[document.kind])


def documents_protect(documents: list[Document]) -> list[tuple[str, str, str, str, int]]:
    """(keyed hash, sealed, mask, wrapped data key, its epoch) of each document, in bulk: a data key per
    document, one epoch for the whole list."""
    now = keyring.current()
    out: list[tuple[str, str, str, str, int] | None] = [None] * len(documents)
    for kind, purpose in PURPOSE.items():
        rows = [i for i, d in enumerate(documents) if d.kind == kind]
        if not rows:
            continue
        numbers = [documents[i].number for i in rows]
        for i, digest, (wrapped, sealed) in zip(rows, protection.hashes_under(now.hash_key, numbers, purpose),
                                                protection.identifiers_seal_many([(n,) for n in numbers], (purpose,),
                                                                                 epoch=now), strict=True):
            out[i] = (digest, sealed, documents[i].masked, wrapped, now.number)
    return out


def documents_lookup(documents: list[Document]) -> dict[str, str]:
    """Every hash (under every live keyring epoch) of each document → its hash under the current epoch: what to
    look the documents up by (a traveller written before a rotation finished may carry the previous one)."""
    index: dict[str, str] = {}
    for kind, purpose in PURPOSE.items():
        numbers = [d.number for d in documents if d.kind == kind]
        if numbers:
            lookup = protection.identifier_lookup(numbers, purpose)
            index.update((digest, lookup.current[i]) for digest, i in lookup.index.items())
    return index


def document_reveal(traveller) -> str:
    """The traveller's document number in clear (the caller audits)."""
    return protection.identifier_open(traveller, traveller.id_sealed, PURPOSE[traveller.id_kind])
