"""`tradechain dvp` end to end (issue 18): the buyer's bank opens and funds a settlement, the exporter puts the eBL
in, one `dvp settle` pays the seller and makes the buyer holder and beneficiary (`ebl status` shows it); documentary
conditions anchored for the settlement; after the deadline `dvp refund` gives each side its own back; a settle
before both are in is one line, exit 2, nothing sent."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

import pytest
from brownie import chain
from conftest import tx_count
from helpers import addr, ok, refused, run

from tradechain.formats import canonical

ISO = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"
AMOUNT = 1_250_000 * 10**6
PROFILES = {  # role: the organisation's profile (its name is what outputs show)
    "carrier": {"name": "COSCO Shipping Lines", "country": "SG", "address": "1 Harbour Front, Singapore"},
    "manufacturer": {"name": "Shenzhen Machinery Co", "country": "TH", "address": "8 Nanshan Road, Shenzhen"},
    "financier": {"name": "Equity Bank Kenya", "country": "KE", "address": "Upper Hill, Nairobi"},
    "buyer": {"name": "Mombasa Imports Ltd", "country": "FR", "address": "Moi Avenue, Mombasa"},
}


def named(role: str, members: dict[str, int]) -> str:
    return f"{PROFILES[role]['name']} (org {members[role]})"


def anchored(folder: Path) -> Path:
    """A DCSA transport document the carrier anchored as a bill of lading."""
    reference = f"SZX{time.time_ns() % 10**9:09d}"
    path = folder / f"{reference}.json"
    path.write_text(json.dumps({"transportDocumentReference": reference, "transportDocumentTypeCode": "BOL"}))
    ok("doc", "anchor", str(path), "--type", "bill-of-lading", "--trade", "CN-KE-0018", "--account", "carrier")
    return path


def usdc_of(sdk: Any, who: str) -> int:
    return int(sdk.contract("MockUSDC").functions.balanceOf(who).call())


@pytest.fixture
def profiles(cli_env: Path, sdk_as: Any, sdk_members: dict[str, int], tmp_path: Path) -> dict[str, int]:
    """Each organisation of PROFILES records its profile's hash on chain; this machine keeps the files."""
    for role, profile in PROFILES.items():
        sdk_as(role).participants.update_profile(sdk_members[role], canonical.json_hash(profile))
        file = tmp_path / f"{role}-profile.json"
        file.write_text(json.dumps(profile))
        assert ok("participant", "profile", str(file), str(sdk_members[role]))["name"] == profile["name"]
    return sdk_members


@pytest.fixture
def ebl(profiles: dict[str, int], sdk: Any, tmp_path: Path) -> str:
    """An eBL the carrier issued to the exporter (manufacturer) as holder and beneficiary; USDC for the bank."""
    sdk.send(sdk.contract("MockUSDC"), "mint", addr("financier"), 10 * AMOUNT)
    bl = anchored(tmp_path)
    return str(ok("ebl", "issue", str(bl), "--holder", addr("manufacturer"), "--account", "carrier")["ebl"])


def open_settlement(ebl: str, *more: str, deadline: str = "+30d") -> dict[str, Any]:
    """`dvp open` by the buyer's bank (the financier: funder by default), for the dev buyer."""
    parties = ("--seller", addr("manufacturer"), "--buyer", addr("buyer"))
    terms = ("--amount", "1,250,000.00", "--deadline", deadline, *more)
    return ok("dvp", "open", "--ebl", ebl, *parties, *terms, "--account", "financier")  # type: ignore[no-any-return]


def test_the_full_life_cycle_pays_the_seller_and_gives_the_buyer_the_ebl(
    ebl: str, profiles: dict[str, int], sdk: Any, tmp_path: Path
) -> None:
    opened = open_settlement(ebl, "--require", "inspection-certificate")
    sid, terms = opened["settlement"], opened["terms"]
    assert re.fullmatch(r"0x[0-9a-f]{64}", sid)
    assert (terms["seller"], terms["buyer"], terms["funder"], terms["amount"], terms["title"]) == (
        addr("manufacturer"),
        addr("buyer"),
        addr("financier"),
        AMOUNT,
        ebl,
    )
    assert terms["documents"] == ["inspection-certificate"] and terms["token"] == sdk.deployment.address("MockUSDC")
    status = run("dvp", "status", sid)
    assert status.exit_code == 0
    lines = status.output.splitlines()
    assert lines[0] == f"settlement {sid}: OPEN"
    assert lines[1] == f"  eBL {ebl}: not put in"
    assert re.fullmatch(r"  payment 1,250,000(\.00)? USDC: not paid in", lines[2]), lines[2]
    assert lines[3] == f"  seller {named('manufacturer', profiles)} ({addr('manufacturer')})"
    assert lines[4] == f"  buyer  {named('buyer', profiles)} ({addr('buyer')})"
    assert lines[5] == f"  funder {named('financier', profiles)} ({addr('financier')})"
    assert lines[6] == "  documents required: inspection-certificate"
    assert re.fullmatch(f"  settle until {ISO}; after it each side takes its own back \\(dvp refund\\)", lines[7])

    before = tx_count(addr("financier"))
    early = run("dvp", "settle", sid, "--account", "financier")
    refused(early, "settlement", "the payment and the eBL not in yet; nothing sent")
    ok("dvp", "fund", sid, "--account", "financier")
    assert tx_count(addr("financier")) == before + 2  # the token's approval, then fund: nothing for the refusal
    assert usdc_of(sdk, sdk.dvp.address) == AMOUNT
    refused(run("dvp", "settle", sid, "--account", "financier"), "settlement", "the eBL not in yet; nothing sent")
    assert tx_count(addr("financier")) == before + 2

    refused(run("dvp", "deliver", sid, "--account", "buyer"), "account", "only the seller")
    delivered = run("dvp", "deliver", sid, "--account", "manufacturer")
    assert delivered.exit_code == 0, delivered.stderr
    assert delivered.output.startswith(f"eBL {ebl} put into settlement {sid}; tx 0x")
    held = run("ebl", "status", ebl).output
    assert f"  holder:      the DvP settlement contract ({sdk.dvp.address})" in held
    state = ok("dvp", "status", sid)
    assert (state["status"], state["funded"], state["delivered"]) == ("OPEN", True, True)
    assert re.fullmatch(ISO, state["deadline"])

    lacking = run("dvp", "missing", sid)
    assert (lacking.exit_code, lacking.output) == (1, "missing: inspection-certificate\n")
    before = tx_count(addr("financier"))
    asked = refused(
        run("dvp", "settle", sid, "--account", "financier"), "doc", "the terms require inspection-certificate"
    )
    assert f"anchored for settlement {sid}: give each with --doc FILE" in asked
    cert = tmp_path / "inspection.pdf"
    cert.write_bytes(b"%PDF SGS inspection certificate, 40 machines")
    ok(
        "doc",
        "anchor",
        str(cert),
        "--type",
        "inspection-certificate",
        "--trade",
        "CN-KE-0018",
        "--account",
        "inspector",
    )
    wrong = refused(
        run("dvp", "settle", sid, "--doc", str(cert), "--account", "financier"), "documents", "not for settlement"
    )
    assert f"tradechain doc anchor FILE --type TYPE --trade {sid}" in wrong  # the fix it names works (below)
    assert tx_count(addr("financier")) == before
    ok("doc", "anchor", str(cert), "--type", "inspection-certificate", "--trade", sid, "--account", "inspector")
    assert ok("dvp", "missing", sid, "--doc", str(cert))["missing"] == []

    seller_before = usdc_of(sdk, addr("manufacturer"))
    settled = ok("dvp", "settle", sid, "--doc", str(cert), "--account", "buyer")
    assert (settled["status"], settled["funded"], settled["delivered"]) == ("SETTLED", False, False)
    assert usdc_of(sdk, addr("manufacturer")) - seller_before == AMOUNT
    assert usdc_of(sdk, sdk.dvp.address) == 0
    title = run("ebl", "status", ebl)
    assert title.exit_code == 0
    assert f"  holder:      {named('buyer', profiles)} ({addr('buyer')})" in title.output
    assert f"  beneficiary: {named('buyer', profiles)} ({addr('buyer')})" in title.output
    data = ok("ebl", "status", ebl)
    assert (data["holderParty"]["organisation"], data["beneficiaryParty"]["organisation"]) == (profiles["buyer"],) * 2
    texts = [e["text"] for e in ok("ebl", "history", ebl)["events"]]
    assert (
        f"holder: the DvP settlement contract ({sdk.dvp.address}) -> {named('buyer', profiles)} ({addr('buyer')})"
        in texts
    )


def test_settle_text_names_the_buyer_and_refund_is_refused_after_it(ebl: str, profiles: dict[str, int]) -> None:
    sid = open_settlement(ebl)["settlement"]
    ok("dvp", "fund", sid, "--account", "financier")
    ok("dvp", "deliver", sid, "--account", "manufacturer")
    before = (tx_count(addr("financier")), tx_count(addr("manufacturer")))
    refused(run("dvp", "fund", sid, "--account", "financier"), "settlement", "the payment is in already")
    refused(run("dvp", "deliver", sid, "--account", "manufacturer"), "settlement", "the eBL is in already")
    assert (tx_count(addr("financier")), tx_count(addr("manufacturer"))) == before  # not even an approval
    said = run("dvp", "settle", sid, "--account", "manufacturer")
    assert said.exit_code == 0, said.stderr
    assert said.output.startswith(
        f"settlement {sid} settled: seller paid, {named('buyer', profiles)} ({addr('buyer')}) holds the eBL; tx 0x"
    )
    late = run("dvp", "refund", sid, "--account", "buyer")
    assert late.exit_code == 1 and late.stderr.startswith("error: SettlementNotOpen(")


def test_refund_after_the_deadline_returns_both(ebl: str, profiles: dict[str, int], sdk: Any) -> None:
    funder_before = usdc_of(sdk, addr("financier"))
    sid = open_settlement(ebl, deadline="+2d")["settlement"]
    ok("dvp", "fund", sid, "--account", "financier")
    ok("dvp", "deliver", sid, "--account", "manufacturer")
    early = run("dvp", "refund", sid, "--account", "buyer")
    assert early.exit_code == 1 and early.stderr.startswith("error: DeadlineNotPassed(")
    chain.sleep(3 * 86_400)
    chain.mine()
    refunded = ok("dvp", "refund", sid, "--account", "buyer")
    assert (refunded["status"], refunded["funded"], refunded["delivered"]) == ("CLOSED", False, False)
    assert usdc_of(sdk, addr("financier")) == funder_before
    assert usdc_of(sdk, sdk.dvp.address) == 0
    title = ok("ebl", "status", ebl)
    assert (title["holder"], title["beneficiary"], title["verdict"]) == (addr("manufacturer"),) * 2 + ("VALID",)
    assert ok("dvp", "status", sid)["status"] == "CLOSED"


def test_anchoring_with_escrow_names_no_settlement(ebl: str, tmp_path: Path) -> None:
    """`doc anchor --escrow` checks the id against TradeEscrow, so a settlement's documents are anchored with
    `--trade SETTLEMENT` (which is what `dvp settle` names)."""
    sid = open_settlement(ebl)["settlement"]
    cert = tmp_path / "inspection.pdf"
    cert.write_bytes(b"%PDF inspection")
    said = run(
        "doc", "anchor", str(cert), "--type", "inspection-certificate", "--escrow", sid, "--account", "inspector"
    )
    refused(said, "escrow", "no escrow with this id on this chain")
