"""CBV 2.0 vocabularies checked on EPCIS import: bizStep, disposition, business transaction type and
source/destination type are CBV 2.0 words (bare or as CBV URIs, normalised to the word) or user vocabulary URIs;
anything else is refused with one line naming the event index and field."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from helpers import OBJECT_EVENT, document

from tradechain.errors import InputError
from tradechain.formats import epcis
from tradechain.formats.cbv import (
    BIZ_STEP,
    BIZ_TRANSACTION_TYPE,
    DISPOSITION,
    SOURCE_DEST_TYPE,
    Vocabulary,
    check_vocabulary,
)

ACCEPTED = [
    (BIZ_STEP, "shipping", "shipping"),
    (BIZ_STEP, "transporting", "transporting"),  # new in CBV 2.0
    (BIZ_STEP, "sensor_reporting", "sensor_reporting"),
    (BIZ_STEP, "urn:epcglobal:cbv:bizstep:shipping", "shipping"),
    (BIZ_STEP, "https://ref.gs1.org/cbv/BizStep-shipping", "shipping"),
    (BIZ_STEP, "https://gs1.org/voc/BizStep-receiving", "receiving"),
    (BIZ_STEP, "http://epcis.example.org/hc/bizstep/summarising_discharge", None),  # a user vocabulary URI
    (BIZ_STEP, "urn:example:bizstep:transforming", None),
    (DISPOSITION, "in_progress", "in_progress"),
    (DISPOSITION, "urn:epcglobal:cbv:disp:in_transit", "in_transit"),
    (DISPOSITION, "https://ref.gs1.org/cbv/Disp-needs_replacement", "needs_replacement"),
    (BIZ_TRANSACTION_TYPE, "po", "po"),
    (BIZ_TRANSACTION_TYPE, "urn:epcglobal:cbv:btt:desadv", "desadv"),
    (BIZ_TRANSACTION_TYPE, "https://ref.gs1.org/cbv/BTT-inv", "inv"),
    (BIZ_TRANSACTION_TYPE, "urn:gs1:epcisapp:rail:btt:passage", None),
    (SOURCE_DEST_TYPE, "owning_party", "owning_party"),
    (SOURCE_DEST_TYPE, "urn:epcglobal:cbv:sdt:location", "location"),
    (SOURCE_DEST_TYPE, "https://ref.gs1.org/cbv/SDT-possessing_party", "possessing_party"),
]


@pytest.mark.parametrize(("vocabulary", "given", "word"), ACCEPTED, ids=[a[1] for a in ACCEPTED])
def test_cbv_words_and_uris_are_accepted(vocabulary: Vocabulary, given: str, word: str | None) -> None:
    assert check_vocabulary(given, vocabulary, "f") == (word or given)


REFUSED = [
    (BIZ_STEP, "transforming", "not a CBV 2.0 business step: use a CBV 2.0 word or a URI"),
    (BIZ_STEP, "Shipping", "not a CBV 2.0 business step"),
    (BIZ_STEP, "in_transit", "not a CBV 2.0 business step"),  # a disposition, not a step
    (BIZ_STEP, "urn:epcglobal:cbv:bizstep:transforming", "'transforming' is not a CBV 2.0 business step"),
    (BIZ_STEP, "https://ref.gs1.org/cbv/BizStep-", "'' is not a CBV 2.0 business step"),
    (BIZ_STEP, "urn:epcglobal:cbv:disp:in_transit", "must be a CBV 2.0 business step URI"),
    (DISPOSITION, "shipping", "not a CBV 2.0 disposition"),
    (DISPOSITION, "https://ref.gs1.org/cbv/Disp-lost", "'lost' is not a CBV 2.0 disposition"),
    (BIZ_TRANSACTION_TYPE, "purchase_order", "not a CBV 2.0 business transaction type"),
    (BIZ_TRANSACTION_TYPE, "urn:epcglobal:cbv:btt:order", "'order' is not a CBV 2.0 business transaction type"),
    (SOURCE_DEST_TYPE, "owner", "not a CBV 2.0 source/destination type"),
    (SOURCE_DEST_TYPE, "", "must be a CBV 2.0 source/destination type or a URI"),
]


@pytest.mark.parametrize(("vocabulary", "given", "rule"), REFUSED, ids=[r[1] or "empty" for r in REFUSED])
def test_other_values_are_refused_naming_the_field(vocabulary: Vocabulary, given: str, rule: str) -> None:
    with pytest.raises(InputError) as info:
        check_vocabulary(given, vocabulary, "eventList[0].bizStep")
    assert info.value.field == "eventList[0].bizStep" and rule in info.value.rule
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    ("mutate", "field", "rule"),
    [
        (lambda e: e.update(bizStep="transforming"), "eventList[1].bizStep", "not a CBV 2.0 business step"),
        (lambda e: e.update(disposition="urn:epcglobal:cbv:disp:gone"), "eventList[1].disposition", "'gone'"),
        (
            lambda e: e.update(bizTransactionList=[{"type": "order", "bizTransaction": "urn:epcglobal:cbv:bt:1:2"}]),
            "eventList[1].bizTransactionList[0].type",
            "not a CBV 2.0 business transaction type",
        ),
        (
            lambda e: e.update(sourceList=[{"type": "owner", "source": "urn:epc:id:pgln:1234567.89012"}]),
            "eventList[1].sourceList[0].type",
            "not a CBV 2.0 source/destination type",
        ),
        (
            lambda e: e.update(destinationList=[{"type": "location"}]),
            "eventList[1].destinationList[0]",
            "an object with a destination",
        ),
        (lambda e: e.update(sourceList="here"), "eventList[1].sourceList", "must be a list"),
    ],
)
def test_a_bad_vocabulary_value_rejects_the_document_naming_index_and_field(mutate: Any, field: str, rule: str) -> None:
    bad = copy.deepcopy(OBJECT_EVENT)
    mutate(bad)
    with pytest.raises(InputError) as info:
        epcis.read_document(document(OBJECT_EVENT, bad))
    assert info.value.field == field and rule in info.value.rule
    assert "\n" not in info.value.user_message


def test_cbv_uris_and_bare_words_are_the_same_event() -> None:
    words = copy.deepcopy(OBJECT_EVENT)
    words["bizTransactionList"] = [{"type": "po", "bizTransaction": "urn:epcglobal:cbv:bt:0614141073467:1152"}]
    words["sourceList"] = [{"type": "owning_party", "source": "urn:epc:id:pgln:1234567.89012"}]
    uris = copy.deepcopy(words)
    uris["bizStep"] = "urn:epcglobal:cbv:bizstep:shipping"
    uris["disposition"] = "https://ref.gs1.org/cbv/Disp-in_transit"
    uris["bizTransactionList"][0]["type"] = "https://ref.gs1.org/cbv/BTT-po"
    uris["sourceList"][0]["type"] = "urn:epcglobal:cbv:sdt:owning_party"
    (a,) = epcis.read_document(document(words))
    (b,) = epcis.read_document(document(uris))
    assert b.body["bizTransactionList"][0]["type"] == "po" and b.body["sourceList"][0]["type"] == "owning_party"
    assert a.event_hash == b.event_hash
