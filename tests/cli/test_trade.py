"""`tradechain doc` and `tradechain escrow` end to end, the financier's release script, and bad input."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import tx_count

from tradechain.chain import accounts
from tradechain.cli.main import cli


def run(*args: str) -> Any:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def ok(*args: str) -> dict[str, Any]:
    result = run(*args, "--json")
    assert result.exit_code == 0, result.output + result.stderr
    return json.loads(result.output)  # type: ignore[no-any-return]


def addr(role: str) -> str:
    return accounts.dev_account(role).address


@pytest.fixture
def funded(cli_env: Path, sdk: Any, sdk_members: dict[str, int]) -> str:
    usdc = sdk.contract("MockUSDC")
    sdk.send(usdc, "mint", addr("financier"), 10**15)
    opened = ok(
        "escrow",
        "open",
        "--seller",
        addr("seller"),
        "--buyer",
        addr("buyer"),
        "--arbiter",
        addr("arbiter"),
        "--amount",
        "1,250,000.00",
        "--deadline",
        "+30d",
        "--trade",
        "KE-7",
        "--milestone",
        "30%:bill-of-lading",
        "--milestone",
        f"70%:delivery-attestation@{sdk_members['inspector']}",
        "--account",
        "financier",
    )
    ok("escrow", "fund", opened["escrow"], "--account", "financier")
    return str(opened["escrow"])


def test_documents_and_escrow_end_to_end(funded: str, tmp_path: Path, sdk_members: dict[str, int]) -> None:
    status = ok("escrow", "status", funded)
    assert (status["status"], status["held"], status["disputedAt"]) == ("FUNDED", 1_250_000 * 10**6, None)
    assert status["disputeWindowClosesAt"] == status["deadline"] == status["refundableAfter"]
    bl = tmp_path / "bl.pdf"
    bl.write_bytes(b"%PDF bill of lading KE-7")
    refused = run("escrow", "release", funded, "0", "--doc", str(bl), "--account", "financier")
    assert refused.exit_code == 2 and "no proof beside it" in refused.stderr
    anchored = ok("doc", "anchor", str(bl), "--type", "bill-of-lading", "--escrow", funded, "--account", "carrier")
    assert anchored["tradeId"] == anchored["escrow"] == funded
    verified = run("doc", "verify", str(bl))
    assert verified.exit_code == 0 and verified.output.startswith(f"VALID bill-of-lading for escrow {funded}:")
    released = ok("escrow", "release", funded, "0", "--doc", str(bl), "--account", "outsider")
    assert released["releasedMilestones"] == [0] and released["paidOut"] == 375_000 * 10**6
    attestation = tmp_path / "delivered.pdf"
    attestation.write_bytes(b"%PDF delivered in Mombasa")
    ok("doc", "anchor", str(attestation), "--type", "delivery-attestation", "--escrow", funded, "--account", "carrier")
    wrong_issuer = run("escrow", "release", funded, "1", "--doc", str(attestation), "--account", "financier")
    assert wrong_issuer.exit_code == 2
    assert wrong_issuer.stderr.startswith(
        "error: documents: milestone 1 cannot be released: missing valid delivery-attestation issued for escrow "
        f"{funded} (trade KE-7)"
    )
    ok(
        "doc",
        "anchor",
        str(attestation),
        "--type",
        "delivery-attestation",
        "--escrow",
        funded,
        "--account",
        "inspector",
    )
    assert ok("escrow", "release", funded, "1", "--doc", str(attestation))["status"] == "CLOSED"


def test_a_document_anchored_for_the_trade_reference_is_named_with_the_fix(funded: str, tmp_path: Path) -> None:
    bl = tmp_path / "bl.pdf"
    bl.write_bytes(b"%PDF bill of lading KE-7, trade reference")
    ok("doc", "anchor", str(bl), "--type", "bill-of-lading", "--trade", "KE-7", "--account", "carrier")
    before = tx_count(addr("financier"))
    for command in (["release", "--account", "financier"], ["missing"]):
        refused = run("escrow", *command, funded, "0", "--doc", str(bl))
        assert refused.exit_code == 2 and refused.stderr.count("\n") == 1, refused.stderr
        assert refused.stderr == (
            "error: documents: bl.pdf was issued for trade KE-7, this escrow's trade reference (escrow documents "
            f"name the escrow id), not for escrow {funded}; its issuer anchors it for this escrow: "
            f"tradechain doc anchor bl.pdf --type bill-of-lading --escrow {funded}\n"
        )
    assert tx_count(addr("financier")) == before
    ok("doc", "anchor", str(bl), "--type", "bill-of-lading", "--escrow", funded, "--account", "carrier")  # the fix
    assert ok("escrow", "missing", funded, "0", "--doc", str(bl))["releasable"] is True


def test_escrow_missing_answers_with_its_exit_code(funded: str, tmp_path: Path) -> None:
    lacking = run("escrow", "missing", funded, "0")
    assert lacking.exit_code == 1
    assert lacking.output == f"milestone 0 of {funded} lacks a valid bill-of-lading issued for this escrow\n"
    bl = tmp_path / "bl.pdf"
    bl.write_bytes(b"%PDF bill of lading")
    ok("doc", "anchor", str(bl), "--type", "bill-of-lading", "--escrow", funded, "--account", "carrier")
    releasable = run("escrow", "missing", funded, "0", "--doc", str(bl))
    assert releasable.exit_code == 0 and "is releasable" in releasable.output
    assert run("escrow", "missing", funded, "2").exit_code == 2  # no such milestone


def test_documents_are_anchored_for_an_escrow_from_its_json_file(funded: str, tmp_path: Path) -> None:
    terms = tmp_path / "escrow.json"
    terms.write_text(json.dumps(ok("escrow", "status", funded)))  # {"escrow": ..., "terms": ...}
    bl = tmp_path / "bl.pdf"
    bl.write_bytes(b"%PDF bill of lading, by file")
    anchored = ok("doc", "anchor", str(bl), "--type", "bill-of-lading", "--escrow", str(terms), "--account", "carrier")
    assert anchored["escrow"] == funded
    unknown = run("doc", "anchor", str(bl), "--type", "bill-of-lading", "--escrow", "0x" + "ab" * 32)
    assert unknown.exit_code == 2 and unknown.stderr.startswith("error: escrow: no escrow with this id on this chain")


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
    assert result.exit_code == 1
    assert result.output.startswith("INVALID: ") and "content changed" in result.output
    revoked = ok("doc", "revoke", str(origin), "--reason", "reissued", "--account", "carrier2")
    assert (revoked["issuer"], revoked["byAdmin"], revoked["reason"]) == (sdk_members["carrier2"], False, "reissued")
    after = run("doc", "verify", str(origin))
    assert after.output.startswith("INVALID: revoked at")
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
    assert verified.exit_code == 1 and f"by the consortium admin ({addr('admin')}), reason fraud" in verified.output


def test_dispute_and_split(funded: str) -> None:
    disputed = ok("escrow", "dispute", funded, "--reason", "late shipment", "--account", "buyer")
    assert disputed["status"] == "DISPUTED" and disputed["disputedAt"] is not None
    status = run("escrow", "status", funded).output
    assert f"the arbiter may resolve until {disputed['arbitrationLapsesAt']}, then the dispute lapses" in status
    assert f"refundable after {disputed['refundableAfter']} (deadline + 30 days)" in status
    again = run("escrow", "dispute", funded, "--reason", "again", "--account", "buyer")
    assert again.exit_code == 1 and "The escrow is Disputed, and this needs Funded." in again.stderr
    resolved = ok("escrow", "resolve", funded, "--seller-share", "25%", "--account", "arbiter")
    assert resolved["sellerBps"] == 2_500
    assert ok("escrow", "status", funded)["status"] == "CLOSED"


def test_release_script_explains_why_it_will_not_release(funded: str, tmp_path: Path, capsys: Any) -> None:
    from scripts.release_escrow import main

    assert main(funded, 0, account="financier") is False
    assert f"no valid bill-of-lading issued for escrow {funded} (trade KE-7)" in capsys.readouterr().out
    bl = tmp_path / "bl.pdf"
    bl.write_bytes(b"%PDF bl")
    ok("doc", "anchor", str(bl), "--type", "bill-of-lading", "--trade", "KE-7", "--account", "carrier")
    assert main(funded, 0, str(bl), account="financier") is False
    assert "bl.pdf was issued for trade KE-7, this escrow's trade reference" in capsys.readouterr().out
    ok("doc", "anchor", str(bl), "--type", "bill-of-lading", "--escrow", funded, "--account", "carrier")
    assert main(funded, 0, str(bl), account="financier") is True
    assert main(funded, 0, str(bl), account="financier") is False
    assert "released already" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["doc", "anchor", "x.pdf", "--type", "bill-of-laden", "--trade", "T"], "error: type: unknown document type"),
        (["doc", "anchor", "missing.pdf", "--type", "bill-of-lading", "--trade", "T"], "error: file: not found"),
        (["doc", "revoke", "--reason", "x"], "error: file: give FILE or --batch ROOT"),
        (["doc", "anchor", "x.pdf", "--type", "bill-of-lading"], "error: trade: give --trade TRADE, or --escrow"),
        (
            [
                "escrow",
                "open",
                "--seller",
                "0x1",
                "--arbiter",
                "0x1",
                "--amount",
                "1",
                "--deadline",
                "+1d",
                "--trade",
                "T",
                "--milestone",
                "100%:bill-of-lading",
            ],
            "error: seller: an address is",
        ),
        (
            [
                "escrow",
                "open",
                "--seller",
                "0x" + "11" * 20,
                "--arbiter",
                "0x" + "22" * 20,
                "--amount",
                "-5",
                "--deadline",
                "+1d",
                "--trade",
                "T",
                "--milestone",
                "100%:bill-of-lading",
            ],
            "error: amount: must be positive",
        ),
        (
            [
                "escrow",
                "open",
                "--seller",
                "0x" + "11" * 20,
                "--arbiter",
                "0x" + "22" * 20,
                "--amount",
                "1.0000001",
                "--deadline",
                "+1d",
                "--trade",
                "T",
                "--milestone",
                "100%:bill-of-lading",
            ],
            "error: amount: at most 6",
        ),
        (
            [
                "escrow",
                "open",
                "--seller",
                "0x" + "11" * 20,
                "--arbiter",
                "0x" + "22" * 20,
                "--amount",
                "1e40",
                "--deadline",
                "+1d",
                "--trade",
                "T",
                "--milestone",
                "100%:bill-of-lading",
            ],
            "error: amount: too large",
        ),
        (
            [
                "escrow",
                "open",
                "--seller",
                "0x" + "11" * 20,
                "--arbiter",
                "0x" + "22" * 20,
                "--amount",
                "1",
                "--deadline",
                "soon",
                "--trade",
                "T",
                "--milestone",
                "100%:bill-of-lading",
            ],
            "error: deadline: a date",
        ),
        (
            [
                "escrow",
                "open",
                "--seller",
                "0x" + "11" * 20,
                "--arbiter",
                "0x" + "22" * 20,
                "--amount",
                "1",
                "--deadline",
                "+1d",
                "--trade",
                "T",
                "--milestone",
                "60%:bill-of-lading",
            ],
            "error: milestones: shares must",
        ),
        (
            [
                "escrow",
                "open",
                "--seller",
                "0x" + "11" * 20,
                "--arbiter",
                "0x" + "22" * 20,
                "--amount",
                "1",
                "--deadline",
                "+1d",
                "--trade",
                "T",
                "--milestone",
                "all:bill-of-lading",
            ],
            "error: milestone: SHARE%",
        ),
        (["escrow", "fund", "0x1234"], "error: escrow: an escrow id is 0x followed by 64 hex digits"),
        (["escrow", "status", "0x" + "ab" * 32], "error: escrow: no escrow with this id"),
        (["escrow", "resolve", "0x" + "ab" * 32, "--seller-share", "lots"], "error: seller-share: a percentage"),
    ],
)
def test_bad_input_is_exit_2_with_field_and_rule(
    cli_env: Path, sdk_members: dict[str, int], args: list[str], message: str
) -> None:
    before = tx_count(addr("admin"))
    result = run(*args)
    assert result.exit_code == 2, result.output + result.stderr
    assert result.stderr.startswith(message) and result.stderr.count("\n") == 1
    assert tx_count(addr("admin")) == before
