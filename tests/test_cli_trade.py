"""`tradechain doc` and `tradechain escrow` end to end, the financier's release script, and bad input."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import tx_count

from tradechain import accounts
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
    assert (status["status"], status["held"]) == ("FUNDED", 1_250_000 * 10**6)
    bl = tmp_path / "bl.pdf"
    bl.write_bytes(b"%PDF bill of lading KE-7")
    refused = run("escrow", "release", funded, "0", "--doc", str(bl), "--account", "financier")
    assert refused.exit_code == 2 and "no proof beside it" in refused.stderr
    ok("doc", "anchor", str(bl), "--type", "bill-of-lading", "--trade", "KE-7", "--account", "carrier")
    assert ok("doc", "verify", str(bl))["valid"] is True
    released = ok("escrow", "release", funded, "0", "--doc", str(bl), "--account", "outsider")
    assert released["releasedMilestones"] == [0] and released["paidOut"] == 375_000 * 10**6
    attestation = tmp_path / "delivered.pdf"
    attestation.write_bytes(b"%PDF delivered in Mombasa")
    ok("doc", "anchor", str(attestation), "--type", "delivery-attestation", "--trade", "KE-7", "--account", "carrier")
    wrong_issuer = run("escrow", "release", funded, "1", "--doc", str(attestation), "--account", "financier")
    assert wrong_issuer.exit_code == 2
    assert wrong_issuer.stderr.startswith(
        "error: documents: milestone 1 cannot be released: missing valid delivery-attestation for trade KE-7"
    )
    ok("doc", "anchor", str(attestation), "--type", "delivery-attestation", "--trade", "KE-7", "--account", "inspector")
    assert ok("escrow", "release", funded, "1", "--doc", str(attestation))["status"] == "CLOSED"


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
    ok("doc", "revoke", str(origin), "--reason", "reissued", "--account", "carrier2")
    assert run("doc", "verify", str(origin)).output.startswith("INVALID: revoked at")


def test_dispute_and_split(funded: str) -> None:
    ok("escrow", "dispute", funded, "--reason", "late shipment", "--account", "buyer")
    resolved = ok("escrow", "resolve", funded, "--seller-share", "25%", "--account", "arbiter")
    assert resolved["sellerBps"] == 2_500
    assert ok("escrow", "status", funded)["status"] == "CLOSED"


def test_release_script_explains_why_it_will_not_release(funded: str, tmp_path: Path, capsys: Any) -> None:
    from scripts.release_escrow import main

    assert main(funded, 0, account="financier") is False
    assert "no valid bill-of-lading for trade KE-7" in capsys.readouterr().out
    bl = tmp_path / "bl.pdf"
    bl.write_bytes(b"%PDF bl")
    ok("doc", "anchor", str(bl), "--type", "bill-of-lading", "--trade", "KE-7", "--account", "carrier")
    assert main(funded, 0, str(bl), account="financier") is True
    assert main(funded, 0, str(bl), account="financier") is False
    assert "released already" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["doc", "anchor", "x.pdf", "--type", "bill-of-laden", "--trade", "T"], "error: type: unknown document type"),
        (["doc", "anchor", "missing.pdf", "--type", "bill-of-lading", "--trade", "T"], "error: file: not found"),
        (["doc", "revoke", "--reason", "x"], "error: file: give FILE or --batch ROOT"),
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
