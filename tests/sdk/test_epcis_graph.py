"""EPCIS TransformationEvents and AggregationEvents in the index's origin and impact graph (issue 15).

GS1's TransformationEvent example (EPCIS 2.0, 9.6.4) and AggregationEvent example (9.6.3) imported: the impact of
an input lists the outputs, the origin of an output lists the inputs, by EPC and by class (LGTIN, GTIN pattern);
an aggregation's children follow their parent. Our own documents: events of one transformationID are one
transformation, a DELETE aggregation links nothing, and a lot on chain named in EPCIS by its LGTIN is one node
with the chain's: a transformation both on chain and in EPCIS is counted once, and one in EPCIS only is followed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from conftest import CANS, EXP, TUNA
from helpers import document

from tradechain.client import Client
from tradechain.contracts.product_registry import LotSpec
from tradechain.formats import epcis
from tradechain.formats.gs1 import with_check_digit
from tradechain.indexer import Indexer, Store

DL = "https://id.gs1.org"
# GS1's 9.6.4 example as canonical Digital Links (SGTIN 4012345.011122.25 is GTIN 04012345111224, serial 25, ...)
EXAMPLE_INPUTS = [
    f"{DL}/01/04012345111224/21/25",  # urn:epc:id:sgtin:4012345.011122.25
    f"{DL}/01/04000001654321/21/99886655",  # urn:epc:id:sgtin:4000001.065432.99886655
    f"{DL}/01/04012345111118/10/4444",  # urn:epc:class:lgtin:4012345.011111.4444
    f"{DL}/01/00614141777778/10/987",  # urn:epc:class:lgtin:0614141.077777.987
    f"{DL}/01/04012345666663",  # urn:epc:idpat:sgtin:4012345.066666.* (any lot of the GTIN)
]
EXAMPLE_OUTPUTS = [f"{DL}/01/04012345778892/21/{s}" for s in (25, 26, 27, 28)]
PALLET = f"{DL}/00/106141412345678908"  # urn:epc:id:sscc:0614141.1234567890
PALLET_CHILDREN = [
    f"{DL}/01/04012345123456/10/998877",  # childQuantityList: a lot, 200.5 KGM
    f"{DL}/01/04012345987652",  # childQuantityList: any lot of the GTIN, 10
    f"{DL}/01/10614141073464/21/2017",  # childEPCs
    f"{DL}/01/10614141073464/21/2018",
]
LOINS = with_check_digit("0899999000002")  # the brand's tuna loins, made from the tuna in EPCIS only


def _keep(store: Store, source: Path | dict[str, Any]) -> None:
    """An EPCIS document's events kept in the index, as `trace import` keeps them (without anchoring)."""
    events = epcis.read_document(source)
    with store.transaction():
        store.put_epcis_events((e.event_hash, e.time.isoformat(), e.body, list(e.epcs)) for e in events)


def _event(**fields: Any) -> dict[str, Any]:
    return {
        "eventTime": "2026-04-03T10:00:00Z",
        "eventTimeZoneOffset": "+00:00",
        "bizStep": "commissioning",
        **fields,
    }


def test_gs1_transformation_example_impact_of_an_input_is_its_outputs_and_back(
    shared_dir: Path, tmp_path: Path
) -> None:
    store = Store(tmp_path / "index.db")
    _keep(store, shared_dir / "epcis-examples" / "Example_9.6.4-TransformationEvent.jsonld")
    for made_from in EXAMPLE_INPUTS:  # by EPC and by class
        impact = store.impact(made_from)
        assert [(e["lot"], e["depth"], e["link"]) for e in impact["lots"]] == [(made_from, 0, None)] + [
            (o, 1, "transformation") for o in EXAMPLE_OUTPUTS
        ]
        assert all(not e["onChain"] and e["holder"] is None and e["batches"] == [] for e in impact["lots"])
    assert [(e["gtin"], e["serial"]) for e in store.impact(EXAMPLE_INPUTS[0])["lots"][1:]] == [
        ("04012345778892", s) for s in ("25", "26", "27", "28")
    ]
    origin = store.origin(EXAMPLE_OUTPUTS[2])
    assert [(o["lot"], o["depth"]) for o in origin] == [(EXAMPLE_OUTPUTS[2], 0)] + [
        (i, 1) for i in sorted(EXAMPLE_INPUTS)
    ]
    assert {o["via"] for o in origin[1:]} == {EXAMPLE_OUTPUTS[2]}
    assert [(o["gtin"], o["lot_number"]) for o in origin if o["lot"] == EXAMPLE_INPUTS[2]] == [
        ("04012345111118", "4444")
    ]
    assert [o["lot"] for o in store.origin(EXAMPLE_INPUTS[0])] == [EXAMPLE_INPUTS[0]]  # nothing upstream of it


def test_gs1_aggregation_example_children_follow_their_parent(shared_dir: Path, tmp_path: Path) -> None:
    store = Store(tmp_path / "index.db")
    _keep(store, shared_dir / "epcis-examples" / "Example_9.6.3-AggregationEvent.jsonld")
    impact = store.impact(PALLET)
    assert [(e["lot"], e["depth"], e["link"]) for e in impact["lots"]] == [(PALLET, 0, None)] + [
        (c, 1, "aggregation") for c in PALLET_CHILDREN
    ]
    assert [(o["lot"], o["depth"]) for o in store.origin(PALLET_CHILDREN[2])] == [
        (PALLET_CHILDREN[2], 0),
        (PALLET, 1),
    ]


def test_a_transformation_id_joins_events_and_a_delete_aggregation_links_nothing(tmp_path: Path) -> None:
    store = Store(tmp_path / "index.db")
    flour, dough, bread = (f"{DL}/01/{with_check_digit(f'0400000000{n:03d}')}/10/L{n}" for n in (1, 2, 3))
    crate = f"{DL}/00/{with_check_digit('04000000000000001')}"
    _keep(
        store,
        document(
            # one transformation recorded as two events: the flour goes in, later the bread comes out
            _event(
                type="TransformationEvent", transformationID="urn:uuid:0f4e", inputQuantityList=[{"epcClass": flour}]
            ),
            _event(
                type="TransformationEvent", transformationID="urn:uuid:0f4e", outputQuantityList=[{"epcClass": bread}]
            ),
            _event(type="AggregationEvent", action="ADD", parentID=crate, childQuantityList=[{"epcClass": bread}]),
            _event(type="AggregationEvent", action="DELETE", parentID=crate, childQuantityList=[{"epcClass": dough}]),
        ),
    )
    assert [(e["lot"], e["depth"]) for e in store.impact(flour)["lots"]] == [(flour, 0), (bread, 1)]
    assert [(o["lot"], o["depth"]) for o in store.origin(bread)] == [(bread, 0), (crate, 1), (flour, 1)]
    assert [e["lot"] for e in store.impact(crate)["lots"]] == [crate, bread]  # not the dough it was emptied of


def test_chain_and_epcis_merge_without_counting_twice(
    chain_of_custody: dict[str, Any], sdk_as: Any, sdk: Client, tmp_path: Path
) -> None:
    """The tuna is canned on chain, and the same canning is in EPCIS too; the brand also cuts tuna into loins,
    recorded in EPCIS only (the loin lot registered on chain): both are downstream of the tuna, each once."""
    m = chain_of_custody["members"]
    tuna, cans = "0x" + chain_of_custody["tuna"].hex(), "0x" + chain_of_custody["cans"].hex()
    brand = sdk_as("brand")
    brand.products.claim_gtin(LOINS)
    loins_key, _ = brand.products.register_lot(LotSpec(LOINS, "LOIN-1", EXP, "ID"))
    loins = "0x" + loins_key.hex()
    tuna_link, cans_link = f"{DL}/01/{TUNA}/10/TUNA-42", f"{DL}/01/{CANS}/10/CAN-7"
    loins_link, scraps = f"{DL}/01/{LOINS}/10/LOIN-1", f"{DL}/01/{LOINS}/10/SCRAP-1"
    store = Store(tmp_path / "index.db")
    Indexer(sdk, store).sync()
    _keep(
        store,
        document(
            _event(
                type="TransformationEvent",
                inputQuantityList=[{"epcClass": tuna_link, "quantity": 500, "uom": "KGM"}],
                outputQuantityList=[{"epcClass": cans_link}],  # what the chain recorded too
            ),
            _event(
                type="TransformationEvent",
                inputQuantityList=[{"epcClass": tuna_link}],
                outputQuantityList=[{"epcClass": loins_link}, {"epcClass": scraps}],  # in EPCIS only
            ),
        ),
    )
    impact = store.impact(tuna)
    assert [(e["lot"], e["depth"], e["link"], e["onChain"], e["owner"]) for e in impact["lots"]] == [
        (tuna, 0, None, True, m["brand"]),
        *sorted([(cans, 1, "chain", True, m["manufacturer"]), (loins, 1, "transformation", True, m["brand"])]),
        (scraps, 1, "transformation", False, None),  # sorted by depth, then id: 0x ids before Digital Links
    ]
    assert impact["holders"] == sorted({m["retailer"], m["brand"]})  # the cans at the retailer, the loins at home
    assert store.impact(tuna_link)["lots"] == impact["lots"]  # the lot by its Digital Link is the same node
    origin = store.origin(loins)
    assert [(o["lot"], o["depth"], o["origin"], o["epc"]) for o in origin] == [
        (loins, 0, "ID", loins_link),
        (tuna, 1, "ID", tuna_link),
    ]
    assert [(o["lot"], o["link"]) for o in store.origin(cans)] == [(cans, None), (tuna, "chain")]
