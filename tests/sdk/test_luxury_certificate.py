"""Certificates through the SDK and the CLI: canonical metadata hashes, resumable batch issuance, claims, theft,
verification against a tampered file, QR codes, ownership history, and bad input."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import tx_count
from helpers import ok, run

from tradechain.chain import accounts
from tradechain.contracts import luxury_certificate as certs
from tradechain.errors import InputError, revert_class

WATCH = {
    "model": "Chronograph 42",
    "reference": "CH-42-STEEL",
    "materials": ["steel", "sapphire"],
    "origin": "CH",
    "date": "2026-11-01",
    "images": ["0x" + "ab" * 32],
}


def test_canonical_metadata_hash_ignores_formatting_and_catches_changes() -> None:
    reordered = dict(reversed(list(WATCH.items())))
    assert certs.metadata_hash(WATCH) == certs.metadata_hash(reordered)
    assert certs.canonical_json({"b": 1, "a": "é"}) == '{"a":"é","b":1}'.encode()
    assert certs.metadata_hash(WATCH) != certs.metadata_hash({**WATCH, "reference": "CH-42-GOLD"})
    with pytest.raises(InputError, match="NaN"):
        certs.metadata_hash({"weight": float("nan")})


def test_batch_issuance_is_resumable_and_never_issues_twice(sdk_as: Any, sdk_members: dict[str, int]) -> None:
    brand = sdk_as("brand")
    rows = [(f"W{i:05d}", {**WATCH, "serial": f"W{i:05d}"}) for i in range(300)]
    first = brand.certificates.issue_batch(rows[:120], batch_size=50)  # "interrupted" after 120
    assert (len(first.issued), len(first.skipped), len(first.transactions)) == (120, 0, 3)
    rest = brand.certificates.issue_batch(rows, batch_size=100)
    assert (len(rest.issued), len(rest.skipped)) == (180, 120)
    assert brand.certificates.contract.functions.balanceOf(brand.transactor.address).call() == 300  # type: ignore
    with pytest.raises(InputError, match=r"rows\[1\].serial: appears twice"):
        brand.certificates.issue_batch([rows[0], rows[0]])


def test_resale_by_claims_theft_and_recovery(sdk_as: Any, sdk_members: dict[str, int]) -> None:
    brand, first, second, thief = (sdk_as(r) for r in ("brand", "buyer", "customer", "outsider"))
    token, _ = brand.certificates.issue("W-777", WATCH)
    secret, _ = brand.certificates.open_claim(token)
    first.certificates.claim(token, secret)
    secret2, _ = first.certificates.open_claim(token)
    second.certificates.claim(token, secret2)
    with pytest.raises(revert_class("NoOpenClaim")):
        thief.certificates.claim(token, secret2)  # replay
    v = second.certificates.verify(token, WATCH)
    assert (v.authentic, v.owner, v.previous_owners, v.metadata_matches) == (
        True,
        accounts.dev_account("customer").address,
        2,
        True,
    )
    second.certificates.report(token, stolen=True)
    with pytest.raises(revert_class("CertificateFrozen")) as info:
        second.certificates.transfer(token, accounts.dev_account("outsider").address)
    assert info.value.status == certs.Status.STOLEN
    assert second.certificates.verify(token).status == certs.Status.STOLEN
    brand.certificates.clear_report(token)
    assert second.certificates.verify(token).status == certs.Status.VALID
    assert second.certificates.verify(token, {**WATCH, "reference": "FAKE"}).metadata_matches is False
    assert second.certificates.verify(certs.certificate_id(sdk_members["brand"], "NEVER")).authentic is False


def test_cli_issue_claim_report_verify_qr_history(cli_env: Path, sdk_members: dict[str, int], tmp_path: Path) -> None:
    meta = tmp_path / "watch.json"
    meta.write_text(json.dumps(WATCH, indent=4))
    issued = ok("cert", "issue", "W-1", "--metadata", str(meta), "--account", "brand")
    token = issued["certificate"]
    assert token == f"0x{certs.certificate_id(sdk_members['brand'], 'W-1'):064x}"
    opened = ok("cert", "open-claim", token, "--account", "brand")
    ok("cert", "claim", token, "--account", "buyer", env={"TRADECHAIN_CLAIM_SECRET": opened["claimSecret"]})
    verified = ok("cert", "verify", "W-1", "--brand", str(sdk_members["brand"]), "--metadata", str(meta))
    assert verified["owner"] == accounts.dev_account("buyer").address and verified["metadataMatches"] is True
    tampered = tmp_path / "tampered.json"
    tampered.write_text(json.dumps({**WATCH, "materials": ["steel"]}))
    text = run("cert", "verify", f"{sdk_members['brand']}:W-1", "--metadata", str(tampered)).output
    assert "metadata         DOES NOT MATCH the certificate" in text
    ok("cert", "report", token, "--stolen", "--account", "buyer")
    stolen = run("cert", "verify", token).output
    assert stolen.startswith("STOLEN  certificate") and "reported         stolen on" in stolen
    refused = run("cert", "transfer", token, "--to", accounts.dev_account("outsider").address, "--account", "buyer")
    assert refused.exit_code == 1 and refused.stderr.startswith(
        f"error: CertificateFrozen(tokenId={token}, status=Stolen"
    )
    ok("cert", "clear", token, "--account", "brand")
    ok("cert", "service", token, "--kind", "REVISION", "--account", "brand")
    history = ok("cert", "history", token)
    assert history["owners"] == [accounts.dev_account("brand").address, accounts.dev_account("buyer").address]
    assert [e["name"] for e in history["events"] if e["name"] != "Transfer"] == [
        "CertificateIssued",
        "ClaimOpened",
        "ClaimClosed",
        "CertificateClaimed",
        "CertificateReported",
        "ReportCleared",
        "ServiceRecorded",
    ]
    png = tmp_path / "qr.png"
    qr = ok("cert", "qr", token, "--out", str(png), "--base-url", "https://verify.example/c")
    assert qr["url"] == f"https://verify.example/c/{token}" and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not run("cert", "verify", "0x" + "12" * 32).output.startswith("AUTHENTIC")


def test_cli_issue_batch_from_csv_then_resume(cli_env: Path, sdk_members: dict[str, int], tmp_path: Path) -> None:
    csv_file = tmp_path / "watches.csv"
    csv_file.write_text("serial,model,reference\n" + "".join(f"S{i},Diver,D-{i}\n" for i in range(250)))
    first = ok("cert", "issue-batch", str(csv_file), "--account", "brand")
    assert (first["issued"], first["skipped"], len(first["transactions"])) == (250, 0, 1)
    assert first["maxTransactionGas"] < 2**24
    assert first["gasPerCertificate"] > 0
    again = ok("cert", "issue-batch", str(csv_file), "--account", "brand")
    assert (again["issued"], again["skipped"]) == (0, 250)


def test_cli_report_says_it_closed_the_open_claim(cli_env: Path, sdk_members: dict[str, int], tmp_path: Path) -> None:
    meta = tmp_path / "watch.json"
    meta.write_text(json.dumps(WATCH))
    token = ok("cert", "issue", "W-2", "--metadata", str(meta), "--account", "brand")["certificate"]
    secret = ok("cert", "open-claim", token, "--account", "brand")["claimSecret"]
    reported = run("cert", "report", token, "--stolen", "--account", "brand")
    assert reported.exit_code == 0
    assert f"certificate {token} reported stolen; its open claim is closed (the secret handed over" in reported.output
    ok("cert", "clear", token, "--account", "brand")
    thief = run("cert", "claim", token, "--account", "outsider", env={"TRADECHAIN_CLAIM_SECRET": secret})
    assert thief.exit_code == 1 and thief.stderr.startswith("error: NoOpenClaim(")
    assert ok("cert", "report", token, "--lost", "--account", "brand")["claimClosed"] is False  # none was open


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["cert", "issue", "", "--metadata", "x.json"], "error: serial: must not be empty"),
        (["cert", "issue", "A B", "--metadata", "x.json"], "error: serial: printable ASCII without spaces only"),
        (["cert", "issue", "W" * 33, "--metadata", "x.json"], "error: serial: at most 32 characters"),
        (["cert", "issue", "W-9", "--metadata", "missing.json"], "error: metadata: file not found"),
        (["cert", "transfer", "xyz", "--to", "0x" + "11" * 20], "error: certificate: a certificate id is"),
        (["cert", "transfer", "1", "--to", "0x1234"], "error: to: an address is 0x followed by 40 hex digits"),
        (["cert", "claim", "1", "--secret", "nope"], "error: secret: never on the command line"),
        (["cert", "verify", "abc:W-1"], "error: certificate: BRAND:SERIAL starts with"),
        (["cert", "qr", "1", "--out", "qr.jpg"], "error: out: the QR code is written as PNG"),
        (["cert", "issue-batch", "missing.csv"], "error: file: not found"),
    ],
)
def test_bad_input_is_exit_2_with_field_and_rule(cli_env: Path, args: list[str], message: str) -> None:
    before = tx_count(accounts.dev_account("admin").address)
    result = run(*args)
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith(message) and result.stderr.count("\n") == 1
    assert tx_count(accounts.dev_account("admin").address) == before


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "error: file: is empty"),
        ("model,reference\nx,y\n", "error: file: a CSV with a 'serial' column"),
        ("serial,model\n", "error: file: holds no row"),
        ("serial,model\nA,b,c\n", "error: line 2: has more fields than the header"),
        ("serial,model\nA B,x\n", "error: line 2: serial: printable ASCII"),
    ],
)
def test_bad_csv_files(cli_env: Path, tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(content)
    result = run("cert", "issue-batch", str(path), "--account", "brand")
    assert result.exit_code == 2 and result.stderr.startswith(message), result.stderr
