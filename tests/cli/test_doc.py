"""`tradechain doc`: anchor, verify (a forged document), revoke (by the issuer, a batch by the admin), and bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import assert_bad_input, tx_count
from helpers import addr, ok, run


def test_a_forged_document_is_rejected_by_doc_verify(
    cli_env: Path, sdk_members: dict[str, int], tmp_path: Path
) -> None:
    origin = tmp_path / "origin.json"
    origin.write_text(json.dumps({"exporter": "Shenzhen Machinery", "origin": "CN", "hs": "845811"}))
    ok("doc", "anchor", str(origin), "--type", "certificate-of-origin", "--trade", "KE-8", "--account", "carrier2")
    forged = tmp_path / "forged.json"
    forged.write_text(json.dumps({"exporter": "Shenzhen Machinery", "origin": "DE", "hs": "845811"}))
    (tmp_path / "forged.json.tcproof.json").write_text((tmp_path / "origin.json.tcproof.json").read_text())
    result = run("doc", "verify", str(forged))
    assert result.exit_code == 3  # INVALID: not the document it claims to be
    assert result.output.startswith("INVALID: ") and "content changed" in result.output
    revoked = ok("doc", "revoke", str(origin), "--reason", "reissued", "--account", "carrier2")
    assert (revoked["issuer"], revoked["byAdmin"], revoked["reason"]) == (sdk_members["carrier2"], False, "reissued")
    after = run("doc", "verify", str(origin))
    assert after.exit_code == 4 and after.output.startswith("REVOKED: revoked at")  # 4: genuine, withdrawn
    assert f"by organisation {sdk_members['carrier2']} ({addr('carrier2')}), reason reissued" in after.output


def test_the_admin_revokes_a_batch_of_a_named_issuer(
    cli_env: Path, sdk_members: dict[str, int], tmp_path: Path
) -> None:
    bl = tmp_path / "bl.pdf"
    bl.write_bytes(b"%PDF bill of lading of a carrier gone rogue")
    root = ok("doc", "anchor", str(bl), "--type", "bill-of-lading", "--trade", "KE-9", "--account", "carrier")["root"]
    unnamed = run("doc", "revoke", "--batch", root, "--reason", "fraud")  # the admin signs for no organisation
    assert unnamed.exit_code == 2 and unnamed.stderr.startswith("error: issuer: this account signs for no")
    other = run(
        "doc",
        "revoke",
        "--batch",
        root,
        "--issuer",
        str(sdk_members["carrier"]),
        "--reason",
        "x",
        "--account",
        "inspector",
    )
    assert other.exit_code == 1 and other.stderr.startswith("error: UnauthorizedRevoker(")
    done = ok("doc", "revoke", "--batch", root, "--issuer", str(sdk_members["carrier"]), "--reason", "fraud")
    assert (done["issuer"], done["byAdmin"], done["by"]) == (sdk_members["carrier"], True, addr("admin"))
    verified = run("doc", "verify", str(bl))
    assert verified.exit_code == 4 and f"by the consortium admin ({addr('admin')}), reason fraud" in verified.output


def test_a_manufacturer_anchoring_a_bill_of_lading_is_refused_before_sending(
    cli_env: Path, sdk_members: dict[str, int], tmp_path: Path
) -> None:
    bl = tmp_path / "bl.pdf"
    bl.write_bytes(b"%PDF bill of lading the factory drew up itself")
    before = tx_count(addr("manufacturer"))
    result = run("doc", "anchor", str(bl), "--type", "bill-of-lading", "--trade", "KE-10", "--account", "manufacturer")
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr == (
        f"error: type: organisation {sdk_members['manufacturer']} may not issue a bill-of-lading: it takes the role "
        "carrier, and the organisation holds manufacturer; nothing sent, no proof written\n"
    )
    assert tx_count(addr("manufacturer")) == before  # no gas spent
    assert not (tmp_path / "bl.pdf.tcproof.json").exists()
    packing = tmp_path / "packing.pdf"  # a type it may issue goes through
    packing.write_bytes(b"%PDF packing list")
    ok("doc", "anchor", str(packing), "--type", "packing-list", "--trade", "KE-10", "--account", "manufacturer")
    assert ok("doc", "verify", str(packing))["valid"] is True


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["doc", "anchor", "x.pdf", "--type", "bill-of-laden", "--trade", "T"], "error: type: unknown document type"),
        (["doc", "anchor", "missing.pdf", "--type", "bill-of-lading", "--trade", "T"], "error: file: not found"),
        (["doc", "revoke", "--reason", "x"], "error: file: give FILE or --batch ROOT"),
        (["doc", "anchor", "x.pdf", "--type", "bill-of-lading"], "error: trade: give --trade TRADE, or --escrow"),
    ],
)
def test_bad_input_is_exit_2_with_field_and_rule(
    cli_env: Path, sdk_members: dict[str, int], args: list[str], message: str
) -> None:
    assert_bad_input(args, message)
