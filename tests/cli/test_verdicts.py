"""Issue 14, honest verdicts and errors: the exit code of every verdict is the one of its class in one table
(tradechain.errors.ExitCode), the same in every command; with --json errors are one JSON object on stderr; a pack
whose proof is not here says so; a scan with a literal <GS> or a missing FNC1 is a bad input; escrow release asks
for its documents and exits 1 when the chain would refuse; no terminal for a password is one line; cert verify takes
its QR's URL, cert qr refuses an unissued id, doc verify --proof takes a proof received apart."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from conftest import MED, TUNA, tx_count
from helpers import INVOICE, INVOICE_KEY, addr, free_port, ok, refused, run

from tradechain.errors import VERDICTS, ExitCode

WATCH = {"model": "Chronograph 42", "reference": "CH-42-STEEL", "origin": "CH"}
INVOICE_ENV = {"TRADECHAIN_INVOICE_KEY": "0x" + INVOICE_KEY.hex()}


def verdict(code: int, *args: str, env: dict[str, str] | None = None) -> Any:
    """``tradechain ARGS --json``, which must exit ``code`` with its verdict (JSON) on stdout and nothing on
    stderr."""
    result = run(*args, "--json", env=env)
    assert result.exit_code == code, (result.exit_code, result.output, result.stderr)
    assert result.stderr == ""
    return json.loads(result.output)


def json_error(result: Result, code: int) -> dict[str, Any]:
    """Exit ``code``, nothing on stdout, one line on stderr that is a JSON object ``{"error": {...}}``."""
    assert result.exit_code == code, (result.exit_code, result.output, result.stderr)
    assert result.stdout == "" and result.stderr.count("\n") == 1, (result.stdout, result.stderr)
    error: dict[str, Any] = json.loads(result.stderr)["error"]
    assert error["exitCode"] == code
    return error


# ------------------------------------------------------------------ 1. one table of exit codes


def test_the_table_gives_each_class_of_verdict_its_own_code() -> None:
    assert [(c.name, int(c)) for c in ExitCode] == [
        ("OK", 0),
        ("REFUSED", 1),
        ("BAD_INPUT", 2),
        ("NOT_GENUINE", 3),
        ("WITHDRAWN", 4),
        ("NEAR_DUPLICATE", 5),
        ("PROOF_UNAVAILABLE", 6),
        ("INTERRUPTED", 130),
    ]
    classes: dict[int, set[str]] = {}
    for word, code in VERDICTS.items():
        classes.setdefault(int(code), set()).add(word)
    assert classes == {
        0: {"AUTHENTIC", "VALID", "CLEAN", "RUNNING", "MATCH"},
        1: {"NOT_RUNNING"},
        3: {"NOT_AUTHENTIC", "UNKNOWN", "MISMATCH", "INVALID"},
        4: {"STOLEN", "LOST", "REVOKED", "RECALLED", "DECOMMISSIONED", "EXPIRED", "VOID", "FROZEN"},
        5: {"NEAR_DUPLICATE"},
        6: {"PROOF_UNAVAILABLE"},
    }


def test_a_buyer_checking_a_watch_with_the_wrong_metadata_sees_mismatch_not_authentic(
    cli_env: Path, sdk_members: dict[str, int], tmp_path: Path
) -> None:
    meta = tmp_path / "watch.json"
    meta.write_text(json.dumps(WATCH))
    token = ok("cert", "issue", "W-1", "--metadata", str(meta), "--account", "brand")["certificate"]
    assert verdict(0, "cert", "verify", token, "--metadata", str(meta))["verdict"] == "AUTHENTIC"
    other = tmp_path / "other.json"
    other.write_text(json.dumps({**WATCH, "reference": "CH-42-GOLD"}))
    said = run("cert", "verify", token, "--metadata", str(other))
    assert said.exit_code == 3
    assert said.output.startswith("MISMATCH: the metadata given DOES NOT MATCH the certificate")
    assert not said.output.startswith("AUTHENTIC") and "metadata         DOES NOT MATCH" in said.output
    assert verdict(3, "cert", "verify", token, "--metadata", str(other))["verdict"] == "MISMATCH"
    never = run("cert", "verify", "0x" + "12" * 32)
    assert never.exit_code == 3 and never.output.startswith("NOT AUTHENTIC: no certificate 0x1212")
    ok("cert", "report", token, "--stolen", "--account", "brand")
    stolen = run("cert", "verify", token)
    assert stolen.exit_code == 4 and stolen.output.startswith("STOLEN  certificate")
    assert verdict(4, "cert", "verify", token)["verdict"] == "STOLEN"


def test_a_shopper_scanning_cans_sees_the_code_of_each_verdict(cli_env: Path, sdk_members: dict[str, int]) -> None:
    ok("product", "claim", TUNA, "--account", "brand")
    ok("product", "lot", TUNA, "T-1", "--expiry", "2030-06-30", "--origin", "ID", "--account", "brand")
    assert verdict(0, "verify", f"(01){TUNA}(17)300630(10)T-1")["status"] == "AUTHENTIC"
    assert verdict(3, "verify", f"(01){TUNA}(17)300701(10)T-1")["status"] == "MISMATCH"  # another expiry
    assert verdict(3, "verify", f"(01){TUNA}(17)300630(10)T-2")["status"] == "UNKNOWN"
    ok("recall", f"lot:{TUNA}/T-1", "--reason", "histamine", "--account", "brand")
    recalled = run("verify", f"(01){TUNA}(17)300630(10)T-1")
    assert recalled.exit_code == 4 and recalled.output.startswith("RECALLED  ")


def test_a_bank_checking_an_altered_copy_of_a_financed_invoice_gets_exit_5(cli_env: Path, tmp_path: Path) -> None:
    original = tmp_path / "inv.json"
    original.write_text(json.dumps(INVOICE))
    ok("invoice", "finance", str(original), "--account", "financier", env=INVOICE_ENV)
    altered = tmp_path / "altered.json"
    altered.write_text(json.dumps({**INVOICE, "number": "INV-2024/0042B"}))
    flagged = run("invoice", "check", str(altered), env=INVOICE_ENV)
    assert flagged.exit_code == 5 and "NEAR-DUPLICATE of financed" in flagged.output
    unrelated = tmp_path / "new.json"
    unrelated.write_text(json.dumps({**INVOICE, "number": "X-1", "amount": "9.00", "issue_date": "2024-01-01"}))
    assert verdict(0, "invoice", "check", str(unrelated), env=INVOICE_ENV)[0]["nearDuplicates"] == []
    assert verdict(0, "invoice", "check", str(original), env=INVOICE_ENV)[0]["status"] == "FINANCED"


def test_ebl_status_gives_each_verdict_its_code(cli_env: Path, sdk_members: dict[str, int], tmp_path: Path) -> None:
    """VALID 0 (issued, and while a surrender is pending), UNKNOWN 3, FROZEN 4 on a court order, VOID 4 once the
    carrier accepted the surrender; the text starts with the verdict, --json gives it with the title's fields."""
    unknown_id = "0x" + "cd" * 32
    unknown = run("ebl", "status", unknown_id)
    assert (unknown.exit_code, unknown.output) == (3, f"UNKNOWN: no eBL {unknown_id} on this chain\n")
    assert verdict(3, "ebl", "status", unknown_id) == {"ebl": unknown_id, "verdict": "UNKNOWN"}
    bl = tmp_path / "bl.json"
    bl.write_text(json.dumps({"transportDocumentReference": "SZX-VERDICT", "transportDocumentTypeCode": "BOL"}))
    ok("doc", "anchor", str(bl), "--type", "bill-of-lading", "--trade", "CN-KE-V", "--account", "carrier")
    ebl = ok("ebl", "issue", str(bl), "--holder", addr("manufacturer"), "--account", "carrier")["ebl"]
    valid = run("ebl", "status", ebl)
    assert valid.exit_code == 0 and valid.output.startswith(f"VALID\neBL {ebl}: ISSUED\n")
    assert verdict(0, "ebl", "status", ebl)["verdict"] == "VALID"
    ok("ebl", "freeze", ebl, "--court-order", "Mombasa High Court HCCC 12/2026", "--account", "carrier")
    frozen = run("ebl", "status", ebl)
    assert frozen.exit_code == 4
    assert frozen.output.startswith(f"FROZEN\neBL {ebl}: ISSUED (FROZEN on a court order)\n")
    assert (verdict(4, "ebl", "status", ebl)["verdict"], verdict(4, "ebl", "status", ebl)["frozen"]) == ("FROZEN", True)
    ok("ebl", "freeze", ebl, "--court-order", "Mombasa High Court HCCC 12/2026", "--lift", "--account", "carrier")
    ok("ebl", "surrender", ebl, "--account", "manufacturer")
    pending = verdict(0, "ebl", "status", ebl)  # pending: still the holder's title
    assert (pending["verdict"], pending["status"]) == ("VALID", "PENDING_SURRENDER_FOR_DELIVERY")
    accepted = ok("ebl", "accept-surrender", ebl, "--account", "carrier")
    assert accepted["status"] == "SURRENDERED_FOR_DELIVERY"
    void = run("ebl", "status", ebl)
    assert void.exit_code == 4 and void.output.startswith(f"VOID\neBL {ebl}: SURRENDERED_FOR_DELIVERY\n")
    data = verdict(4, "ebl", "status", ebl)
    assert (data["verdict"], data["holder"], data["beneficiary"]) == ("VOID", None, addr("manufacturer"))


def test_node_status_of_a_node_that_is_down_exits_1(tmp_path: Path) -> None:
    down = run("node", "status", "--state-dir", str(tmp_path / "node"))
    assert down.exit_code == 1 and down.output.startswith("not running (state file ")


# ------------------------------------------------------------------ 2. errors in JSON with --json


def test_with_json_a_bad_input_is_one_json_object_on_stderr(cli_env: Path) -> None:
    bad = run("participant", "admit", "--lei", "529900T8BM49AURSDO56", "--country", "DE", "--roles", "brand",
              "--manager", addr("brand"), "--json")  # fmt: skip
    error = json_error(bad, 2)
    assert (error["kind"], error["field"], error["value"]) == ("bad-input", "lei", "529900T8BM49AURSDO56")
    assert error["rule"].startswith("LEI check digits are wrong")
    assert error["message"] == f"lei: {error['rule']} (got '529900T8BM49AURSDO56')"
    usage = json_error(run("cert", "verify", "W-1", "--brand", "x", "--json"), 2)  # a usage error, too
    assert (usage["kind"], usage["field"]) == ("bad-input", "brand") and "not a valid integer" in usage["rule"]
    plain = run("cert", "verify", "W-1", "--brand", "x")  # without --json: the line as before
    assert plain.stderr.startswith("error: brand: 'x' is not a valid integer")


def test_with_json_a_chain_refusal_and_an_unreachable_node_are_json(cli_env: Path, sdk_members: dict[str, int]) -> None:
    ok("product", "claim", TUNA, "--account", "brand")
    ok("product", "lot", TUNA, "T-9", "--expiry", "2030-06-30", "--origin", "ID", "--account", "brand")
    ship = ["trace", "ship", f"lot:{TUNA}/T-9", "--to", str(sdk_members["retailer"]), "--account", "carrier"]
    error = json_error(run(*ship, "--json"), 1)
    assert (error["kind"], error["revert"], error["contract"]) == ("chain-refusal", "NotCustodian", "ProductRegistry")
    assert error["args"]["custodian"] == sdk_members["brand"] and error["args"]["unit"].startswith("0x")
    assert error["message"].startswith("NotCustodian(unit=0x")
    port = free_port()
    gone = json_error(run("cert", "verify", "0x" + "12" * 32, "--rpc-url", f"http://127.0.0.1:{port}", "--json"), 1)
    assert gone["kind"] == "node-unreachable" and f"127.0.0.1:{port}" in gone["message"]


# ------------------------------------------------------------------ 3. a pack whose proof is not here; scans


@pytest.fixture
def medicine(cli_env: Path, sdk_members: dict[str, int], tmp_path: Path) -> str:
    """Lot B1 of the manufacturer's medicine, 20 packs commissioned (serial list in the default store)."""
    ok("product", "claim", MED, "--account", "manufacturer")
    ok("product", "lot", MED, "B1", "--expiry", "301231", "--origin", "IN", "--account", "manufacturer")
    serials = tmp_path / "serials.txt"
    serials.write_text("".join(f"S{i:05d}\n" for i in range(20)))
    return str(ok("product", "commission", MED, "B1", "--serials", str(serials), "--account", "manufacturer")["batch"])


def test_a_pharmacist_without_the_brands_serial_list_is_told_the_proof_is_not_here(
    medicine: str, tmp_path: Path
) -> None:
    link = f"https://id.gs1.org/01/{MED}/10/B1/21/S00007?17=301231"
    elsewhere = {"TRADECHAIN_SERIALS": str(tmp_path / "pharmacy-serials")}  # the pharmacy's own, empty store
    said = run("verify", link, env=elsewhere)
    assert said.exit_code == 6
    assert said.output.startswith(f"PROOF UNAVAILABLE  (01){MED}(17)301231(10)B1(21)S00007")
    assert "serial S00007 cannot be checked here" in said.output and "UNKNOWN" not in said.output
    data = verdict(6, "verify", link, env=elsewhere)
    assert (data["status"], data["serialProven"], data["unavailableBatches"]) == ("PROOF_UNAVAILABLE", False, 1)
    assert verdict(0, "verify", link)["status"] == "AUTHENTIC"  # with the brand's list: proven
    assert verdict(3, "verify", f"(01){MED}(17)301231(10)B1(21)NOPE")["status"] == "UNKNOWN"  # every list known
    assert verdict(3, "verify", f"(01){MED}(17)301231(10)B9(21)S00007", env=elsewhere)["status"] == "UNKNOWN"
    ok("recall", f"lot:{MED}/B1", "--reason", "dissolution", "--account", "manufacturer")
    recalled = verdict(4, "verify", link, env=elsewhere)  # the lot's verdict stands without the list
    assert (recalled["status"], recalled["serialProven"]) == ("RECALLED", False)


def test_a_scan_with_a_printed_gs_or_without_its_fnc1_is_a_bad_input(medicine: str) -> None:
    raw = f"01{MED}17301231" + "10B1{sep}21S00007"
    assert verdict(0, "verify", raw.format(sep="\x1d"))["status"] == "AUTHENTIC"  # as a scanner sends it
    printed = refused(run("verify", raw.format(sep="<GS>")), "element string", "holds '<GS>', the printed form")
    assert "ASCII 29" in printed and "bracketed form" in printed
    refused(run("verify", f"(01){MED}(17)301231(10)B1<GS>(21)S00007"), "element string", "holds '<GS>'")
    joined = refused(run("verify", raw.format(sep="")), "lot (AI 10)", "'B121S00007' runs into AI 21 (serial)")
    assert f"the scan reads (01){MED}(17)301231(10)B1(21)S00007" in joined and "FNC1 (ASCII 29)" in joined
    assert verdict(3, "verify", f"01{MED}17301231" + "10B121NOPE")["status"] == "UNKNOWN"  # no pack either way


# ------------------------------------------------------------------ 4. escrow release; a password with no terminal


@pytest.fixture
def escrow(cli_env: Path, sdk: Any) -> str:
    sdk.send(sdk.contract("MockUSDC"), "mint", addr("financier"), 10**12)
    opened = ok("escrow", "open", "--seller", addr("seller"), "--buyer", addr("buyer"), "--arbiter", addr("arbiter"),
                "--amount", "1000", "--deadline", "+30d", "--trade", "KE-V", "--milestone", "100%:bill-of-lading",
                "--account", "financier")  # fmt: skip
    ok("escrow", "fund", opened["escrow"], "--account", "financier")
    return str(opened["escrow"])


def test_escrow_release_without_doc_asks_for_it_and_a_refused_one_exits_1(escrow: str, tmp_path: Path) -> None:
    before = tx_count(addr("outsider"))
    asked = refused(run("escrow", "release", escrow, "1", "--account", "outsider"), "doc", "milestone 1 needs")
    assert f"bill-of-lading issued for escrow {escrow}: give each document with --doc FILE" in asked
    bl = tmp_path / "bl.pdf"
    bl.write_bytes(b"%PDF bill of lading KE-V")
    ok("doc", "anchor", str(bl), "--type", "bill-of-lading", "--escrow", escrow, "--account", "carrier")
    ok("doc", "revoke", str(bl), "--reason", "reissued", "--account", "carrier")
    refusal = run("escrow", "release", escrow, "1", "--doc", str(bl), "--account", "outsider")
    assert refusal.exit_code == 1 and refusal.stderr.count("\n") == 1  # as README says: the chain refuses, 1
    assert refusal.stderr.startswith(f"error: ConditionsNotMet(escrowId={escrow}, milestone=0, missingDocs=")
    assert "missing valid bill-of-lading issued for escrow" in refusal.stderr and "nothing was sent" in refusal.stderr
    error = json_error(run("escrow", "release", escrow, "1", "--doc", str(bl), "--account", "outsider", "--json"), 1)
    assert (error["kind"], error["revert"], error["args"]["milestone"]) == ("chain-refusal", "ConditionsNotMet", 0)
    assert tx_count(addr("outsider")) == before


def _no_terminal(*args: str, home: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """``tradechain ARGS`` as a script or CI job runs it: no controlling terminal, stdin closed, no password."""
    base = {k: v for k, v in os.environ.items() if k != "TRADECHAIN_PASSWORD"}
    return subprocess.run(
        [sys.executable, "-m", "tradechain", *args],
        env={**base, "TRADECHAIN_HOME": str(home), "TRADECHAIN_KEYSTORE": str(home / "keys"), **(env or {})},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        start_new_session=True,
        timeout=120,
    )


def test_a_password_prompt_with_no_terminal_is_one_line_exit_2(cli_env: Path, tmp_path: Path) -> None:
    home = tmp_path / "script-home"
    created = _no_terminal("account", "new", "alice", home=home)
    assert (created.returncode, created.stdout) == (2, "")
    assert created.stderr == "error: password: no terminal to ask for it on: set TRADECHAIN_PASSWORD\n"
    assert not (home / "keys" / "alice.json").exists()
    ok("account", "new", "alice", env={"TRADECHAIN_PASSWORD": "pw", "TRADECHAIN_KEYSTORE": str(home / "keys")})
    signing = _no_terminal("product", "claim", TUNA, "--account", "alice", home=home)
    assert signing.returncode == 2
    assert signing.stderr == "error: password: no terminal to ask for it on: set TRADECHAIN_PASSWORD\n"
    done = _no_terminal("account", "new", "bob", home=home, env={"TRADECHAIN_PASSWORD": "pw"})
    assert done.returncode == 0 and done.stderr == ""


# ------------------------------------------------------------------ 5. cert verify URL, cert qr, doc verify --proof


def test_a_buyer_verifies_the_url_of_the_qr_code_and_qr_refuses_an_unissued_id(
    cli_env: Path, sdk_members: dict[str, int], tmp_path: Path
) -> None:
    meta = tmp_path / "watch.json"
    meta.write_text(json.dumps(WATCH))
    token = ok("cert", "issue", "W-2", "--metadata", str(meta), "--account", "brand")["certificate"]
    png = tmp_path / "card.png"
    url = ok("cert", "qr", token, "--out", str(png), "--base-url", "https://verify.example/c")["url"]
    assert url == f"https://verify.example/c/{token}" and png.read_bytes()[:4] == b"\x89PNG"
    scanned = verdict(0, "cert", "verify", url)
    assert (scanned["verdict"], scanned["certificate"]) == ("AUTHENTIC", token)
    assert run("cert", "verify", url).output.startswith(f"AUTHENTIC  certificate {token}")
    refused(run("cert", "verify", "https://verify.example/c/"), "certificate", "a verification URL is http(s)://")
    unissued = tmp_path / "fake.png"
    line = refused(run("cert", "qr", "0x" + "12" * 32, "--out", str(unissued)), "certificate", "no certificate 0x1212")
    assert "was ever issued on this chain" in line and not unissued.exists()


def test_a_second_bank_verifies_a_pdf_with_the_proof_it_received_apart(
    cli_env: Path, sdk_members: dict[str, int], tmp_path: Path
) -> None:
    bl = tmp_path / "carrier" / "bl.pdf"
    bl.parent.mkdir()
    bl.write_bytes(b"%PDF bill of lading KE-P")
    ok("doc", "anchor", str(bl), "--type", "bill-of-lading", "--trade", "KE-P", "--account", "carrier")
    inbox = tmp_path / "bank"
    inbox.mkdir()
    shutil.copy(bl, inbox / "BL scan.pdf")  # the e-mail attachment, renamed
    shutil.copy(bl.with_name("bl.pdf.tcproof.json"), inbox / "proof-from-carrier.json")
    alone = run("doc", "verify", str(inbox / "BL scan.pdf"))
    assert alone.exit_code == 2 and "no proof beside it" in alone.stderr
    valid = run("doc", "verify", str(inbox / "BL scan.pdf"), "--proof", str(inbox / "proof-from-carrier.json"))
    assert valid.exit_code == 0 and valid.output.startswith("VALID bill-of-lading for trade KE-P")
    other = inbox / "other.pdf"
    other.write_bytes(b"%PDF another document")
    forged = run("doc", "verify", str(other), "--proof", str(inbox / "proof-from-carrier.json"))
    assert forged.exit_code == 3 and forged.output.startswith("INVALID: ")
    refused(run("doc", "verify", str(other), "--proof", str(inbox / "none.json")), "proof", "file not found")
