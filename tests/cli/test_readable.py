"""Issue 14, output people can read: role names, ISO dates in UTC, status words and certificate ids in hex in
errors; escrow amounts in token units and milestones numbered from 1 with their share; organisations by the names of
their verified profiles (`participant admit --profile`, `participant profile`), "unverified" when the profile kept
does not match the chain; `cert history` with dates and parties. `--json` keeps the exact values."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from conftest import SSCC, TUNA, tx_count
from helpers import addr, lei, ok, run

from tradechain.formats import canonical

ISO = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"
UNIX_TIME = re.compile(r"\b1[6-9]\d{8}\b")

ACME = {"name": "Acme Tuna Co", "country": "DE", "address": "Hafenstrasse 1, Hamburg"}


def write(path: Path, data: Any, **dump: Any) -> Path:
    path.write_text(json.dumps(data, **dump))
    return path


def give_profile(sdk_as: Any, role: str, org: int, profile: dict[str, Any], tmp_path: Path) -> Path:
    """The organisation records the hash of its profile on chain, and hands the file over; this machine keeps it
    with `participant profile FILE ORG`."""
    sdk_as(role).participants.update_profile(org, canonical.json_hash(profile))
    file = write(tmp_path / f"{role}-profile.json", profile, indent=2)
    kept = ok("participant", "profile", str(file), str(org))
    assert kept["profileStatus"] == "verified" and kept["name"] == profile["name"]
    return file


# ------------------------------------------------------------------ bullet 1: errors and outputs


def test_a_member_without_the_role_is_told_which_roles_are_needed_by_name(
    cli_env: Path, sdk_members: dict[str, int]
) -> None:
    refused = run("product", "claim", TUNA, "--account", "carrier")
    assert refused.exit_code == 1 and refused.stderr.count("\n") == 1, refused.stderr
    assert f"of organisation {sdk_members['carrier']} lacks role brand or manufacturer." in refused.stderr
    assert "role=brand|manufacturer" in refused.stderr and "role=3" not in refused.stderr


def test_a_frozen_certificate_error_says_its_id_as_issued_its_status_and_the_date(
    cli_env: Path, sdk_members: dict[str, int], tmp_path: Path
) -> None:
    meta = write(tmp_path / "watch.json", {"model": "Diver", "reference": "D-1"})
    token = ok("cert", "issue", "W-R1", "--metadata", str(meta), "--account", "brand")["certificate"]
    ok("cert", "report", token, "--stolen", "--account", "brand")
    refused = run("cert", "transfer", token, "--to", addr("outsider"), "--account", "brand")
    assert refused.exit_code == 1
    assert refused.stderr.startswith(f"error: CertificateFrozen(tokenId={token}, status=Stolen, reportedAt=")
    assert re.search(f"is frozen: reported Stolen at {ISO}; only its brand can clear it", refused.stderr)
    assert str(int(token, 16)) not in refused.stderr and not UNIX_TIME.search(refused.stderr)


def test_escrow_status_shows_token_units_and_milestones_from_1_with_their_share(
    cli_env: Path, sdk: Any, sdk_as: Any, sdk_members: dict[str, int], tmp_path: Path
) -> None:
    sdk.send(sdk.contract("MockUSDC"), "mint", addr("financier"), 10**15)
    inspector = sdk_members["inspector"]
    give_profile(sdk_as, "inspector", inspector, {"name": "Mombasa Inspection Ltd", "country": "KE"}, tmp_path)
    opened = ok(
        "escrow", "open", "--seller", addr("seller"), "--buyer", addr("buyer"), "--arbiter", addr("arbiter"),
        "--amount", "500000.00", "--deadline", "+30d", "--trade", "KE-R",
        "--milestone", "30%:bill-of-lading", "--milestone", f"70%:delivery-attestation@{inspector}",
        "--account", "financier",
    )  # fmt: skip
    escrow = opened["escrow"]
    ok("escrow", "fund", escrow, "--account", "financier")
    text = run("escrow", "status", escrow).output
    usdc = sdk.contract("MockUSDC").address
    assert f"  held 500,000.00 USDC of 500,000.00 USDC (token {usdc}); milestones released: none (of 2)\n" in text
    assert "  milestones (numbered from 1):\n" in text
    assert "  milestone 1 of 2: 30% (150,000.00 USDC) on bill-of-lading\n" in text
    assert (
        f"  milestone 2 of 2: 70% (350,000.00 USDC) on delivery-attestation from Mombasa Inspection Ltd "
        f"(org {inspector})\n" in text
    )
    assert "500,000,000,000" not in text and "milestone 0" not in text
    bl = tmp_path / "bl.pdf"
    bl.write_bytes(b"%PDF bill of lading KE-R")
    ok("doc", "anchor", str(bl), "--type", "bill-of-lading", "--escrow", escrow, "--account", "carrier")
    sdk.escrow.release(sdk.escrow.terms_of(escrow), 0, [bl])  # the first milestone (index 0 on chain)
    text = run("escrow", "status", escrow).output
    assert "  held 350,000.00 USDC of 500,000.00 USDC" in text and "milestones released: 1 (of 2)\n" in text
    assert "  milestone 1 of 2: 30% (150,000.00 USDC) on bill-of-lading, released\n" in text
    exact = ok("escrow", "status", escrow)  # machine output: base units, milestones as the contract counts them
    assert exact["held"] == 350_000 * 10**6 and exact["releasedMilestones"] == [0]
    assert int(exact["terms"]["amount"]) == 500_000 * 10**6


# ------------------------------------------------------------------ bullet 2: organisations by name


def test_an_organisation_admitted_with_its_profile_is_shown_by_its_name(cli_env: Path, tmp_path: Path) -> None:
    file = write(tmp_path / "acme.json", ACME, indent=4)
    admitted = run(
        "participant", "admit", "--lei", lei(900), "--country", "DE", "--roles", "manufacturer",
        "--manager", addr("outsider"), "--profile", str(file),
    )  # fmt: skip
    assert admitted.exit_code == 0, admitted.stderr
    org = int(re.match(r"admitted organisation (\d+), Acme Tuna Co \(", admitted.output).group(1))  # type: ignore[union-attr]
    shown = ok("participant", "show", str(org))
    assert shown["profileHash"] == "0x" + canonical.json_hash(ACME).hex()  # the canonical hash went on chain
    assert (shown["name"], shown["profileStatus"], shown["profile"]) == ("Acme Tuna Co", "verified", ACME)
    text = run("participant", "show", str(org)).output
    assert text.startswith(f"organisation {org}  Acme Tuna Co\n")
    assert f"  profile  {shown['profileHash']} (verified)\n" in text and re.search(f"  admitted {ISO}\n", text)
    listed = run("participant", "list").output
    assert re.search(rf"^ +{org}  Acme Tuna Co +  {lei(900)}", listed, re.M), listed
    # another machine: the hash is on chain, the profile is not kept there until it is handed over
    other = {"TRADECHAIN_HOME": str(tmp_path / "elsewhere")}
    assert (
        f"(not kept here: tradechain participant profile FILE {org})"
        in run("participant", "show", str(org), env=other).output
    )
    forged = write(tmp_path / "forged.json", {**ACME, "name": "Acme Tuna Co (Bank details changed)"})
    refused = run("participant", "profile", str(forged), str(org), env=other)
    assert refused.exit_code == 2 and refused.stderr.count("\n") == 1
    assert refused.stderr.startswith("error: profile: its hash 0x") and shown["profileHash"] in refused.stderr
    assert not (tmp_path / "elsewhere" / "profiles").exists()
    reformatted = write(tmp_path / "copy.json", dict(reversed(list(ACME.items()))))  # same profile, other bytes
    kept = run("participant", "profile", str(reformatted), str(org), env=other)
    assert kept.exit_code == 0, kept.stderr
    assert (
        kept.output == f"profile of Acme Tuna Co (org {org}) matches its on-chain hash {shown['profileHash']}: kept\n"
    )


def test_a_profile_without_a_name_is_refused_before_anything_is_sent(cli_env: Path, tmp_path: Path) -> None:
    before = tx_count(addr("admin"))
    nameless = write(tmp_path / "p.json", {"country": "DE"})
    args = ("participant", "admit", "--lei", lei(901), "--country", "DE", "--roles", "carrier", "--manager")
    result = run(*args, addr("outsider"), "--profile", str(nameless))
    assert (
        result.exit_code == 2
        and result.stderr == "error: profile.name: a profile names its organisation: a non-empty text\n"
    )
    elsewhere = write(tmp_path / "q.json", {"name": "Acme", "country": "FR"})
    result = run(*args, addr("outsider"), "--profile", str(elsewhere))
    assert (
        result.exit_code == 2
        and result.stderr == "error: profile.country: the profile says 'FR', --country says 'DE'\n"
    )
    assert tx_count(addr("admin")) == before


def test_custody_names_the_holder_by_its_profile_or_says_it_is_unverified(
    cli_env: Path, chain_of_custody: dict[str, Any], sdk_as: Any, tmp_path: Path
) -> None:
    members = chain_of_custody["members"]
    retailer, brand = members["retailer"], members["brand"]
    unit = f"sscc:{SSCC}"
    assert run("trace", "custody", unit).output.startswith(f"{unit}: held by org {retailer};")  # no profile kept
    give_profile(sdk_as, "retailer", retailer, {"name": "Fresh Foods BV", "country": "NL"}, tmp_path)
    give_profile(sdk_as, "brand", brand, {"name": "Bali Tuna Brand", "country": "IT"}, tmp_path)
    assert run("trace", "custody", unit).output.startswith(f"{unit}: held by Fresh Foods BV (org {retailer});")
    origin = run("trace", "origin", "0x" + chain_of_custody["cans"].hex()).output
    assert f"origin ID  owner Bali Tuna Brand (org {brand})" in origin
    impact = run("trace", "impact", "0x" + chain_of_custody["tuna"].hex()).output
    assert (
        f"held by Fresh Foods BV (org {retailer})" in impact and f"holders: Fresh Foods BV (org {retailer})" in impact
    )
    assert ok("trace", "custody", unit)["holder"] == retailer  # machine output: the id
    # the retailer records another profile on chain: the one kept here is no longer its own
    sdk_as("retailer").participants.update_profile(retailer, canonical.json_hash({"name": "Fresh Foods NV"}))
    assert run("trace", "custody", unit).output.startswith(f"{unit}: held by org {retailer} (profile unverified);")
    assert "(unverified: the profile kept here does not match it" in run("participant", "show", str(retailer)).output


# ------------------------------------------------------------------ bullet 3: cert history


def test_cert_history_says_when_what_and_who(
    cli_env: Path, sdk_as: Any, sdk_members: dict[str, int], tmp_path: Path
) -> None:
    brand = sdk_members["brand"]
    give_profile(sdk_as, "brand", brand, {"name": "Maison Horlogère SA", "country": "CH"}, tmp_path)
    meta = write(tmp_path / "watch.json", {"model": "Chronograph 42", "reference": "CH-42"})
    token = ok("cert", "issue", "W-H", "--metadata", str(meta), "--account", "brand")["certificate"]
    secret = ok("cert", "open-claim", token, "--account", "brand")["claimSecret"]
    ok("cert", "claim", token, "--account", "buyer", env={"TRADECHAIN_CLAIM_SECRET": secret})
    ok("cert", "report", token, "--stolen", "--account", "buyer")
    ok("cert", "clear", token, "--account", "brand")
    ok("cert", "service", token, "--kind", "REVISION", "--account", "brand")
    b, buyer = addr("brand"), addr("buyer")
    maison, at_buyer = f"{b[:6]}…{b[-4:]} of Maison Horlogère SA (org {brand})", f"{buyer[:6]}…{buyer[-4:]}"
    at_buyer += f" of org {sdk_members['buyer']}"
    text = run("cert", "history", token).output
    lines = text.splitlines()
    assert lines[0] == f"certificate {token}" and lines[1] == f"owners: {maison} -> {at_buyer}"
    events = lines[2:]
    assert all(re.match(f"{ISO}  .+  \\(block \\d+\\)$", line) for line in events), text
    said = [re.sub(f"^{ISO}  |  \\(block \\d+\\)$", "", line) for line in events]
    assert said == [
        f"first owner {maison}",
        f"issued by Maison Horlogère SA (org {brand}), serial W-H",
        f"claim opened by its owner {maison}",
        "claim closed (its secret no longer works)",
        f"transferred from {maison} to {at_buyer}",
        f"claimed by {at_buyer} from {maison}",
        f"reported stolen by {at_buyer}",
        f"stolen report cleared by {maison}",
        f"service REVISION recorded by Maison Horlogère SA (org {brand})",
    ]
    exact = ok("cert", "history", token)["events"]
    assert all(isinstance(e["timestamp"], int) and re.fullmatch(ISO, e["time"]) for e in exact)
    verified = run("cert", "verify", token).output
    assert f"  brand            Maison Horlogère SA (org {brand})\n" in verified
    assert f"  owner            {buyer} of org {sdk_members['buyer']}\n" in verified
