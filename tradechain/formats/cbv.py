"""CBV 2.0 vocabularies (GS1 Core Business Vocabulary 2.0, sections 7.1 to 7.4): the values an EPCIS event may
give for bizStep, disposition, business transaction type and source/destination type: a bare CBV word
(``shipping``), a CBV URI (``urn:epcglobal:cbv:bizstep:shipping``, ``https://ref.gs1.org/cbv/BizStep-shipping``,
``https://gs1.org/voc/BizStep-shipping``) whose word is CBV, normalised to the word, or a user vocabulary URI
(any other absolute URI). A bare word or CBV URI whose word is not in CBV 2.0 is refused."""

from __future__ import annotations

import re
from dataclasses import dataclass

from tradechain.errors import InputError


@dataclass(frozen=True)
class Vocabulary:
    name: str  # what the error calls it
    words: frozenset[str]
    prefixes: tuple[str, ...]  # CBV URI forms, the word follows


def _vocabulary(name: str, urn: str, web: str, words: str) -> Vocabulary:
    prefixes = (f"urn:epcglobal:cbv:{urn}:", f"https://ref.gs1.org/cbv/{web}-", f"https://gs1.org/voc/{web}-")
    return Vocabulary(name, frozenset(words.split()), prefixes)


BIZ_STEP = _vocabulary(
    "CBV 2.0 business step",
    "bizstep",
    "BizStep",
    """accepting arriving assembling collecting commissioning consigning creating_class_instance cycle_counting
    decommissioning departing destroying disassembling dispensing encoding entering_exiting holding inspecting
    installing killing loading other packing picking receiving removing repackaging repairing replacing reserving
    retail_selling sampling sensor_reporting shipping staging_outbound stock_taking stocking storing transporting
    unloading unpacking void_shipping""",
)
DISPOSITION = _vocabulary(
    "CBV 2.0 disposition",
    "disp",
    "Disp",
    """active available completeness_inferred completeness_verified conformant container_closed container_open
    damaged destroyed dispensed disposed encoded expired in_progress in_transit inactive mismatch_class
    mismatch_instance mismatch_quantity needs_replacement no_pedigree_match non_conformant non_sellable_other
    partially_dispensed recalled reserved retail_sold returned sellable_accessible sellable_not_accessible stolen
    unavailable unknown""",
)
BIZ_TRANSACTION_TYPE = _vocabulary(
    "CBV 2.0 business transaction type",
    "btt",
    "BTT",
    "bol cert desadv inv pedigree po poc prodorder recadv rma testprd testres upevt",
)
SOURCE_DEST_TYPE = _vocabulary(
    "CBV 2.0 source/destination type", "sdt", "SDT", "location owning_party possessing_party"
)

# An absolute URI: a scheme, a colon, then no white space or control characters (RFC 3986 section 3.1).
_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:[^\s\x00-\x1f\x7f]+")
_CBV_SPACE = re.compile(r"(?i)(urn:epcglobal:cbv:|https?://(ref\.|ns\.)?gs1\.org/(cbv|voc)/)")


def check_vocabulary(value: object, vocabulary: Vocabulary, field: str) -> str:
    """The bare CBV word of a CBV word or URI, or a user vocabulary URI unchanged; InputError otherwise."""
    if not isinstance(value, str) or not value:
        raise InputError(field, f"must be a {vocabulary.name} or a URI", value)
    for prefix in vocabulary.prefixes:
        if value.startswith(prefix):
            word = value[len(prefix) :]
            if word not in vocabulary.words:
                raise InputError(field, f"{word!r} is not a {vocabulary.name}", value)
            return word
    if value in vocabulary.words:
        return value
    if _URI.fullmatch(value):
        if _CBV_SPACE.match(value):
            raise InputError(field, f"a URI in GS1's CBV space must be a {vocabulary.name} URI", value)
        return value
    raise InputError(field, f"not a {vocabulary.name}: use a CBV 2.0 word or a URI", value)
