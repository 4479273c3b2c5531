"""DocumentRegistry through the SDK: batches anchored as one root, proofs beside the files, a changed byte,
an issuer without the type's role, revocation of a document and of a batch."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tradechain.contracts import document_registry
from tradechain.errors import InputError, revert_class


def _files(folder: Path, n: int, stem: str = "bl") -> list[Path]:
    out = []
    for i in range(n):
        path = folder / f"{stem}-{i}.pdf"
        path.write_bytes(b"%PDF-1.7 bill of lading " + str(i).encode())
        out.append(path)
    return out


def test_anchor_a_batch_and_verify_each_document(sdk_as: Any, sdk_members: dict[str, int], tmp_path: Path) -> None:
    carrier = sdk_as("carrier")
    files = _files(tmp_path, 25)
    root, receipt = carrier.documents.anchor(files, "bill-of-lading", "TRADE-2026-001")
    assert receipt.gas_used < 60_000
    for path in (files[0], files[24]):
        proof = json.loads(document_registry.proof_path(path).read_text())
        assert proof["root"] == root and proof["docType"] == "bill-of-lading"
        check = carrier.documents.verify(path)
        assert check.valid and check.hash_matches and check.issuer == sdk_members["carrier"]
        assert check.issuer_roles == ["carrier"] and check.trade_id == "TRADE-2026-001" and check.revoked_at == 0


def test_anchoring_costs_the_same_for_one_or_a_thousand(
    sdk_as: Any, sdk_members: dict[str, int], tmp_path: Path
) -> None:
    carrier = sdk_as("carrier")
    _, one = carrier.documents.anchor(_files(tmp_path, 1, "one"), "bill-of-lading", "T1")
    _, many = carrier.documents.anchor(_files(tmp_path, 1000, "many"), "bill-of-lading", "T1")
    assert abs(one.gas_used - many.gas_used) < 100


def test_a_changed_byte_fails(sdk_as: Any, sdk_members: dict[str, int], tmp_path: Path) -> None:
    carrier = sdk_as("carrier")
    (path,) = _files(tmp_path, 1)
    carrier.documents.anchor([path], "bill-of-lading", "T2")
    path.write_bytes(path.read_bytes().replace(b"lading", b"ladinG"))
    check = carrier.documents.verify(path)
    assert (check.valid, check.hash_matches) == (False, False)


def test_json_documents_are_hashed_canonically(sdk_as: Any, sdk_members: dict[str, int], tmp_path: Path) -> None:
    certifier = sdk_as("carrier2")
    path = tmp_path / "origin.json"
    path.write_text(json.dumps({"origin": "CN", "goods": "CNC lathe", "hs": "845811"}))
    certifier.documents.anchor([path], "certificate-of-origin", "T3")
    path.write_text(json.dumps({"hs": "845811", "goods": "CNC lathe", "origin": "CN"}, indent=4))  # reformatted
    assert certifier.documents.verify(path).valid is True
    path.write_text(json.dumps({"hs": "845811", "goods": "CNC lathe", "origin": "VN"}))  # forged origin
    assert certifier.documents.verify(path).valid is False


def test_an_issuer_without_the_types_role_is_refused_before_sending(
    sdk_as: Any, sdk_members: dict[str, int], tmp_path: Path
) -> None:
    retailer = sdk_as("retailer")  # a member, but no carrier: its bill of lading would be anchored yet not valid
    (path,) = _files(tmp_path, 1)
    nonce = retailer.w3.eth.get_transaction_count(retailer.signer.address)
    with pytest.raises(InputError) as info:
        retailer.documents.anchor([path], "bill-of-lading", "T4")
    assert info.value.field == "type"
    assert info.value.rule == (
        f"organisation {sdk_members['retailer']} may not issue a bill-of-lading: it takes the role carrier, and the "
        "organisation holds retailer; nothing sent, no proof written"
    )
    assert retailer.w3.eth.get_transaction_count(retailer.signer.address) == nonce
    assert not document_registry.proof_path(path).exists()
    with pytest.raises(InputError, match="it takes the role certifier or customs, and the organisation holds"):
        retailer.documents.anchor([path], "certificate-of-origin", "T4")


def test_a_bill_of_lading_anchored_without_the_role_by_another_client_proves_nothing(
    sdk_as: Any, sdk_members: dict[str, int], tmp_path: Path
) -> None:
    retailer = sdk_as("retailer")  # a client that skips the SDK's check sends the anchor itself
    (path,) = _files(tmp_path, 1)
    kind, trade = document_registry.parse_doc_type("bill-of-lading"), document_registry.trade_id("T4")
    doc_hash = document_registry.document_hash(path)
    root = document_registry.leaf(doc_hash, kind, trade)  # a batch of one: its root is its leaf
    retailer.send(retailer.documents.contract, "anchor", root, 1)
    proof = document_registry.DocumentProof(
        "0x" + root.hex(),
        "0x" + doc_hash.hex(),
        kind,
        "0x" + trade.hex(),
        [],
        retailer.documents.address,
        retailer.chain_id,
        sdk_members["retailer"],
    )
    document_registry.write_proof(path, proof)
    check = retailer.documents.verify(path)
    assert (check.valid, check.hash_matches, check.issuer) == (False, True, sdk_members["retailer"])


def test_non_members_cannot_anchor(sdk_as: Any, sdk_members: dict[str, int], tmp_path: Path) -> None:
    with pytest.raises(revert_class("UnregisteredAccount")):
        sdk_as("outsider").documents.anchor(_files(tmp_path, 1), "bill-of-lading", "T5")


def test_revoking_a_document_and_a_batch(sdk_as: Any, sdk_members: dict[str, int], tmp_path: Path) -> None:
    carrier, other = sdk_as("carrier"), sdk_as("inspector")
    files = _files(tmp_path, 3)
    root, _ = carrier.documents.anchor(files, "bill-of-lading", "T6")
    with pytest.raises(revert_class("UnauthorizedRevoker")) as info:  # another organisation may not revoke it
        other.documents.revoke(files[0], "forged")
    assert (info.value.caller, info.value.issuer) == (other.signer.address, sdk_members["carrier"])
    receipt = carrier.documents.revoke(files[0], "surrendered")
    [revocation] = carrier.documents.revocations(receipt)
    assert (revocation.issuer, revocation.by, revocation.by_admin) == (
        sdk_members["carrier"],
        carrier.signer.address,
        False,
    )
    assert revocation.leaf is not None and revocation.reason == "surrendered"
    first = carrier.documents.verify(files[0])
    assert first.valid is False and first.revoked_at > 0
    assert first.revocation == revocation  # who revoked it and why, from its event
    assert carrier.documents.verify(files[1]).valid is True
    with pytest.raises(revert_class("AlreadyRevoked")):
        carrier.documents.revoke(files[0], "again")
    with pytest.raises(revert_class("UnauthorizedRevoker")):
        other.documents.revoke_batch(root, "forged", issuer=sdk_members["carrier"])
    with pytest.raises(revert_class("NonexistentBatch")):  # the inspector's own organisation has no such batch
        other.documents.revoke_batch(root, "forged")
    carrier.documents.revoke_batch(root, "vessel lost")
    second = carrier.documents.verify(files[1])
    assert second.valid is False and second.revocation is not None and second.revocation.leaf is None
    assert second.revocation.reason == "vessel lost"
    with pytest.raises(revert_class("BatchAlreadyAnchored")):
        carrier.documents.anchor(files, "bill-of-lading", "T6")


def test_the_admin_revokes_a_suspended_issuers_documents(
    sdk: Any, sdk_as: Any, sdk_members: dict[str, int], tmp_path: Path
) -> None:
    carrier = sdk_as("carrier")
    files = _files(tmp_path, 2)
    root, _ = carrier.documents.anchor(files, "bill-of-lading", "T8")
    sdk.participants.suspend(sdk_members["carrier"], "fraud")
    with pytest.raises(revert_class("OrganisationIsSuspended")):  # a suspended issuer revokes nothing
        carrier.documents.revoke(files[0], "too late")
    assert carrier.documents.verify(files[0]).valid is True  # its documents stay valid until the admin acts
    receipt = sdk.documents.revoke(files[0], "issuer suspended")  # the issuer comes from the proof
    [revocation] = sdk.documents.revocations(receipt)
    assert (revocation.issuer, revocation.by_admin) == (sdk_members["carrier"], True)
    check = sdk.documents.verify(files[0])
    assert check.valid is False and check.revocation is not None and check.revocation.by_admin is True
    with pytest.raises(InputError, match="issuer: this account signs for no organisation"):
        sdk.documents.revoke_batch(root, "issuer suspended")  # the admin names the issuer of a batch
    with pytest.raises(InputError, match=f"issuer: the proof of bl-1.pdf names issuer {sdk_members['carrier']}"):
        sdk.documents.revoke(files[1], "issuer suspended", issuer=sdk_members["inspector"])
    sdk.documents.revoke_batch(root, "issuer suspended", issuer=sdk_members["carrier"])
    assert sdk.documents.verify(files[1]).valid is False


def test_bad_input_before_sending(sdk_as: Any, sdk_members: dict[str, int], tmp_path: Path) -> None:
    carrier = sdk_as("carrier")
    (path,) = _files(tmp_path, 1)
    with pytest.raises(InputError, match="type: unknown document type"):
        carrier.documents.anchor([path], "bill-of-laden", "T7")
    with pytest.raises(InputError, match="trade: a trade id is 1-32"):
        carrier.documents.anchor([path], "bill-of-lading", "x" * 40)
    with pytest.raises(InputError, match="file: not found"):
        carrier.documents.anchor([tmp_path / "nope.pdf"], "bill-of-lading", "T7")
    with pytest.raises(InputError, match="the same document appears twice"):
        carrier.documents.anchor([path, path], "bill-of-lading", "T7")
    with pytest.raises(InputError, match="no proof beside it"):
        carrier.documents.verify(path)
