"""`tradechain ebl` end to end (issue 18): the carrier anchors a DCSA transport document as a bill of lading and
issues its eBL; the holder passes possession, the beneficiary nominates, the holder endorses; a wrong transfer is
rejected back; pledges, court-order freezes, void, surrender; `ebl status` and `ebl history` name organisations by
their profiles and give ISO dates; refusals before sending are one line, exit 2, nothing sent."""

from __future__ import annotations

import json
import re
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from conftest import tx_count
from eth_hash.auto import keccak
from helpers import addr, ok, refused, run

from tradechain.contracts import document_registry
from tradechain.contracts.title_registry import title_id_of
from tradechain.formats import canonical

ISO = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"
PROFILES = {  # role: the organisation's profile (its name is what outputs show)
    "carrier": {"name": "COSCO Shipping Lines", "country": "SG", "address": "1 Harbour Front, Singapore"},
    "manufacturer": {"name": "Shenzhen Machinery Co", "country": "TH", "address": "8 Nanshan Road, Shenzhen"},
    "financier": {"name": "Equity Bank Kenya", "country": "KE", "address": "Upper Hill, Nairobi"},
    "buyer": {"name": "Mombasa Imports Ltd", "country": "FR", "address": "Moi Avenue, Mombasa"},
}


def named(role: str, members: dict[str, int]) -> str:
    return f"{PROFILES[role]['name']} (org {members[role]})"


@pytest.fixture
def profiles(cli_env: Path, sdk_as: Any, sdk_members: dict[str, int], tmp_path: Path) -> dict[str, int]:
    """Each organisation of PROFILES records its profile's hash on chain; this machine keeps the files."""
    for role, profile in PROFILES.items():
        sdk_as(role).participants.update_profile(sdk_members[role], canonical.json_hash(profile))
        file = tmp_path / f"{role}-profile.json"
        file.write_text(json.dumps(profile))
        assert ok("participant", "profile", str(file), str(sdk_members[role]))["name"] == profile["name"]
    return sdk_members


def transport_document(folder: Path, **change: Any) -> Path:
    reference = f"SZX{time.time_ns() % 10**9:09d}"
    path = folder / f"{reference}.json"
    data = {"transportDocumentReference": reference, "transportDocumentTypeCode": "BOL", "isToOrder": True, **change}
    path.write_text(json.dumps(data))
    return path


def anchored(folder: Path, kind: str = "bill-of-lading") -> Path:
    path = transport_document(folder)
    ok("doc", "anchor", str(path), "--type", kind, "--trade", "CN-KE-0018", "--account", "carrier")
    return path


def issue(folder: Path, holder: str = "manufacturer", *more: str) -> str:
    bl = anchored(folder)
    return str(ok("ebl", "issue", str(bl), "--holder", addr(holder), *more, "--account", "carrier")["ebl"])


# ------------------------------------------------------------------ issue, status, transfers, history


def test_issue_transfer_endorse_and_history_name_the_organisations(profiles: dict[str, int], tmp_path: Path) -> None:
    bl = anchored(tmp_path)
    issued = ok("ebl", "issue", str(bl), "--holder", addr("manufacturer"), "--account", "carrier")
    ebl = issued["ebl"]
    assert int(ebl, 16) == title_id_of(profiles["carrier"], document_registry.document_hash(bl))
    assert (issued["title"], issued["status"], issued["holder"], issued["beneficiary"]) == (
        ebl,
        "ISSUED",
        addr("manufacturer"),
        addr("manufacturer"),  # the beneficiary defaults to the holder
    )
    assert issued["holderParty"] == {
        "address": addr("manufacturer"),
        "organisation": profiles["manufacturer"],
        "name": f"{named('manufacturer', profiles)} ({addr('manufacturer')})",
    }
    assert issued["issuerName"] == named("carrier", profiles) and issued["txHash"].startswith("0x")

    moved = run("ebl", "transfer-holder", ebl, addr("financier"), "--account", "manufacturer")
    assert moved.exit_code == 0, moved.stderr
    assert moved.output.startswith(f"eBL {ebl}: holder now {named('financier', profiles)} ({addr('financier')}); tx 0x")
    status = run("ebl", "status", ebl)
    assert status.exit_code == 0
    assert status.output.splitlines() == [
        "VALID",
        f"eBL {ebl}: ISSUED",
        f"  issued by {named('carrier', profiles)}",
        f"  holder:      {named('financier', profiles)} ({addr('financier')})",
        f"  beneficiary: {named('manufacturer', profiles)} ({addr('manufacturer')})",
        "  the last transfer (holder) can still be rejected by its recipient",
    ]
    early = run("ebl", "endorse", ebl, addr("buyer"), "--account", "financier")  # not nominated yet
    assert early.exit_code == 1 and early.stderr.startswith("error: NotNominated(")
    nominated = ok("ebl", "nominate", ebl, addr("buyer"), "--remark", "contract S-77", "--account", "manufacturer")
    assert nominated["nominee"] == addr("buyer")
    assert (
        f"  nominee:     {named('buyer', profiles)} ({addr('buyer')}) (the holder may endorse to it)"
        in run("ebl", "status", ebl).output
    )
    endorsed = ok("ebl", "endorse", ebl, addr("buyer"), "--account", "financier")
    assert (endorsed["beneficiary"], endorsed["holderToo"]) == (addr("buyer"), False)
    after = ok("ebl", "status", ebl)
    assert (after["verdict"], after["holder"], after["beneficiary"], after["nominee"]) == (
        "VALID",
        addr("financier"),
        addr("buyer"),
        None,
    )
    assert after["beneficiaryParty"]["name"] == f"{named('buyer', profiles)} ({addr('buyer')})"

    history = ok("ebl", "history", ebl)
    events = history["events"]
    assert [e["event"] for e in events] == [
        "TitleIssued",
        "Transfer",
        "Transfer",
        "BeneficiaryNominated",
        "Remarked",
        "BeneficiaryTransferred",
    ]
    assert [e["block"] for e in events] == sorted(e["block"] for e in events)  # chain order
    for e in events:
        assert re.fullmatch(ISO, e["at"])
        assert e["at"] == datetime.fromtimestamp(e["timestamp"], UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert events[0]["tx"] == issued["txHash"] and events[0]["args"]["issuer"] == profiles["carrier"]
    assert events[2]["text"] == (
        f"holder: {named('manufacturer', profiles)} ({addr('manufacturer')}) -> "
        f"{named('financier', profiles)} ({addr('financier')})"
    )
    assert events[4]["args"]["remarkHash"] == "0x" + keccak(b"contract S-77").hex()
    text = run("ebl", "history", ebl).output.splitlines()
    assert text[0] == f"eBL {ebl}: 6 events"
    assert re.fullmatch(
        f"  {ISO}  issued by {re.escape(named('carrier', profiles))} to holder "
        f"{re.escape(named('manufacturer', profiles))} .*, beneficiary .*",
        text[1],
    )
    assert text[6].endswith(
        f"endorsed: beneficiary {named('manufacturer', profiles)} ({addr('manufacturer')}) -> "
        f"{named('buyer', profiles)} ({addr('buyer')})"
    )


def test_reject_after_a_wrong_transfer_restores_the_previous_parties(profiles: dict[str, int], tmp_path: Path) -> None:
    ebl = issue(tmp_path)
    wrong = ok("ebl", "endorse", ebl, addr("retailer"), "--holder-too", "--account", "manufacturer")
    assert wrong["holderToo"] is True
    status = ok("ebl", "status", ebl)
    assert (status["holder"], status["beneficiary"], status["rejectable"]) == (addr("retailer"),) * 2 + ("both",)
    rejected = ok("ebl", "reject", ebl, "--remark", "not our shipment", "--account", "retailer")
    assert (rejected["holder"], rejected["beneficiary"], rejected["rejectable"]) == (
        addr("manufacturer"),
        addr("manufacturer"),
        None,
    )
    assert rejected["holderParty"]["organisation"] == profiles["manufacturer"]
    texts = [e["text"] for e in ok("ebl", "history", ebl)["events"]]
    assert f"org {profiles['retailer']} ({addr('retailer')}) rejected the transfer of holder and beneficiary" in texts
    before = tx_count(addr("manufacturer"))
    again = refused(run("ebl", "reject", ebl, "--account", "manufacturer"), "title", "nothing to reject")
    assert ebl in again and tx_count(addr("manufacturer")) == before


def test_a_pledge_is_shown_and_blocks_transfers_until_released(profiles: dict[str, int], tmp_path: Path) -> None:
    ebl = issue(tmp_path)
    pledged = run("ebl", "pledge", ebl, str(profiles["financier"]), "--account", "manufacturer")
    assert pledged.exit_code == 0
    assert pledged.output.startswith(f"eBL {ebl} pledged to {named('financier', profiles)}; tx 0x")
    status = run("ebl", "status", ebl).output
    assert f"  pledged to {named('financier', profiles)}: it cannot move until released" in status
    assert ok("ebl", "status", ebl)["pledgeeName"] == named("financier", profiles)
    blocked = run("ebl", "transfer-holder", ebl, addr("buyer"), "--account", "manufacturer")
    assert blocked.exit_code == 1 and blocked.stderr.startswith("error: TitlePledged(")
    assert ok("ebl", "release-pledge", ebl, "--account", "financier")["ebl"] == ebl
    assert ok("ebl", "status", ebl)["pledgee"] is None
    assert ok("ebl", "transfer-holder", ebl, addr("buyer"), "--account", "manufacturer")["holder"] == addr("buyer")
    texts = [e["text"] for e in ok("ebl", "history", ebl)["events"]]
    assert f"pledged to {named('financier', profiles)}" in texts
    assert f"pledge of {named('financier', profiles)} released" in texts


def test_surrender_rejected_by_the_carrier_leaves_the_holder(profiles: dict[str, int], tmp_path: Path) -> None:
    ebl = issue(tmp_path)
    surrendered = run("ebl", "surrender", ebl, "--for-amendment", "--account", "manufacturer")
    assert surrendered.output.startswith(f"eBL {ebl} surrendered for amendment; the carrier must accept it; tx ")
    assert ok("ebl", "status", ebl)["status"] == "PENDING_SURRENDER_FOR_AMENDMENT"
    not_carrier = run("ebl", "accept-surrender", ebl, "--account", "financier")
    assert not_carrier.exit_code == 1 and "UnauthorizedParty(" in not_carrier.stderr
    assert ok("ebl", "reject-surrender", ebl, "--account", "carrier")["status"] == "ISSUED"
    status = ok("ebl", "status", ebl)
    assert (status["status"], status["holder"]) == ("ISSUED", addr("manufacturer"))


def test_the_carrier_voids_an_ebl_it_holds(profiles: dict[str, int], tmp_path: Path) -> None:
    ebl = issue(tmp_path, "carrier")
    voided = run("ebl", "void", ebl, "--remark", "issued by mistake", "--account", "carrier")
    assert voided.exit_code == 0 and voided.output.startswith(f"eBL {ebl} voided; tx 0x")
    said = run("ebl", "status", ebl)
    assert said.exit_code == 4 and said.output.splitlines()[:2] == ["VOID", f"eBL {ebl}: VOIDED"]
    assert "  holder:      nobody" in said.output
    texts = [e["text"] for e in ok("ebl", "history", ebl)["events"]]
    assert texts[-3:] == [
        f"voided by {named('carrier', profiles)} ({addr('carrier')})",
        f"no holder any more (was {named('carrier', profiles)} ({addr('carrier')}))",
        texts[-1],
    ] and texts[-1].startswith(f"remark by {named('carrier', profiles)}")


# ------------------------------------------------------------------ refused before sending


def test_issue_of_a_document_anchored_as_another_type_is_refused(
    cli_env: Path, sdk_members: dict[str, int], tmp_path: Path
) -> None:
    packing = anchored(tmp_path, "packing-list")
    before = tx_count(addr("carrier"))
    line = refused(
        run("ebl", "issue", str(packing), "--holder", addr("manufacturer"), "--account", "carrier"),
        "document",
        f"{packing.name} was anchored as a packing-list, not as a bill of lading",
    )
    assert "tradechain doc anchor FILE --type bill-of-lading" in line
    assert tx_count(addr("carrier")) == before


def test_issue_of_a_changed_file_or_to_an_outsider_is_refused(
    cli_env: Path, sdk_members: dict[str, int], tmp_path: Path
) -> None:
    bl = anchored(tmp_path)
    before = tx_count(addr("carrier"))
    outsider = run("ebl", "issue", str(bl), "--holder", addr("outsider"), "--account", "carrier")
    refused(outsider, "holder", "must be an active member's account or a contract")
    parties = ("--holder", addr("buyer"), "--beneficiary", addr("outsider"))
    other = run("ebl", "issue", str(bl), *parties, "--account", "carrier")
    refused(other, "beneficiary", "not an outsider")
    bl.write_text(bl.read_text().replace("BOL", "SWB"))  # a sea waybill now: not the document anchored
    refused(
        run("ebl", "issue", str(bl), "--holder", addr("buyer"), "--account", "carrier"),
        "document",
        "is not the document its proof was issued for",
    )
    assert tx_count(addr("carrier")) == before


def test_a_second_issue_and_a_long_remark_are_refused(
    cli_env: Path, sdk_members: dict[str, int], tmp_path: Path
) -> None:
    bl = anchored(tmp_path)
    ebl = ok("ebl", "issue", str(bl), "--holder", addr("manufacturer"), "--account", "carrier")["ebl"]
    before = (tx_count(addr("carrier")), tx_count(addr("manufacturer")))
    twice = run("ebl", "issue", str(bl), "--holder", addr("buyer"), "--account", "carrier")
    assert ebl in refused(twice, "document", "an eBL of this document was issued already")
    long = run("ebl", "transfer-holder", ebl, addr("buyer"), "--remark", "x" * 1_001, "--account", "manufacturer")
    refused(long, "remark", "at most 1,000 characters (it is 1,001)")
    wrapped = run("ebl", "nominate", ebl, addr("buyer"), "--remark", "two\nlines", "--account", "manufacturer")
    refused(wrapped, "remark", "one line of text")
    outsider = run("ebl", "endorse", ebl, addr("outsider"), "--holder-too", "--account", "manufacturer")
    refused(outsider, "to", "must be an active member's account or a contract")
    assert (tx_count(addr("carrier")), tx_count(addr("manufacturer"))) == before
    assert ok("ebl", "status", ebl)["holder"] == addr("manufacturer")
