"""`tradechain escrow` end to end with the documents that release it, the financier's release script, bad input;
issue 12 finding 12: an escrow opened with a 0x trade id keeps it as bytes, from the CLI to its terms JSON."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from brownie import chain
from conftest import assert_bad_input, tx_count
from helpers import addr, ok, run

from tradechain.contracts import document_registry
from tradechain.contracts.trade_escrow import EscrowClient, Milestone, Terms
from tradechain.errors import InputError


def _open(
    trade: str, deadline: str = "+2d", amount: str = "1000", milestones: tuple[str, ...] = ("100%:bill-of-lading",)
) -> dict[str, Any]:
    """`escrow open` by the financier, for the dev seller, buyer and arbiter: its JSON."""
    return ok(  # type: ignore[no-any-return]
        "escrow",
        "open",
        "--seller",
        addr("seller"),
        "--buyer",
        addr("buyer"),
        "--arbiter",
        addr("arbiter"),
        "--amount",
        amount,
        "--deadline",
        deadline,
        "--trade",
        trade,
        *(arg for milestone in milestones for arg in ("--milestone", milestone)),
        "--account",
        "financier",
    )


@pytest.fixture
def funded(cli_env: Path, sdk: Any, sdk_members: dict[str, int]) -> str:
    usdc = sdk.contract("MockUSDC")
    sdk.send(usdc, "mint", addr("financier"), 10**15)
    milestones = ("30%:bill-of-lading", f"70%:delivery-attestation@{sdk_members['inspector']}")
    opened = _open("KE-7", "+30d", "1,250,000.00", milestones)
    ok("escrow", "fund", opened["escrow"], "--account", "financier")
    return str(opened["escrow"])


def test_documents_and_escrow_end_to_end(funded: str, tmp_path: Path, sdk_members: dict[str, int]) -> None:
    status = ok("escrow", "status", funded)
    assert (status["status"], status["held"], status["disputedAt"]) == ("FUNDED", 1_250_000 * 10**6, None)
    assert status["disputeWindowClosesAt"] == status["deadline"] == status["refundableAfter"]
    bl = tmp_path / "bl.pdf"
    bl.write_bytes(b"%PDF bill of lading KE-7")
    refused = run("escrow", "release", funded, "1", "--doc", str(bl), "--account", "financier")
    assert refused.exit_code == 2 and "no proof beside it" in refused.stderr
    anchored = ok("doc", "anchor", str(bl), "--type", "bill-of-lading", "--escrow", funded, "--account", "carrier")
    assert anchored["tradeId"] == anchored["escrow"] == funded
    verified = run("doc", "verify", str(bl))
    assert verified.exit_code == 0 and verified.output.startswith(f"VALID bill-of-lading for escrow {funded}:")
    released = ok("escrow", "release", funded, "1", "--doc", str(bl), "--account", "outsider")
    assert released["releasedMilestones"] == [0] and released["paidOut"] == 375_000 * 10**6
    attestation = tmp_path / "delivered.pdf"
    attestation.write_bytes(b"%PDF delivered in Mombasa")
    ok("doc", "anchor", str(attestation), "--type", "delivery-attestation", "--escrow", funded, "--account", "carrier")
    wrong_issuer = run("escrow", "release", funded, "2", "--doc", str(attestation), "--account", "financier")
    assert wrong_issuer.exit_code == 1  # the chain's refusal (ConditionsNotMet), checked before sending
    assert wrong_issuer.stderr.startswith("error: ConditionsNotMet(escrowId=0x")
    assert (
        f"milestone 2 cannot be released: missing valid delivery-attestation issued for escrow {funded} (trade KE-7)"
        in wrong_issuer.stderr
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
    assert ok("escrow", "release", funded, "2", "--doc", str(attestation))["status"] == "CLOSED"


def test_a_document_anchored_for_the_trade_reference_is_named_with_the_fix(funded: str, tmp_path: Path) -> None:
    bl = tmp_path / "bl.pdf"
    bl.write_bytes(b"%PDF bill of lading KE-7, trade reference")
    ok("doc", "anchor", str(bl), "--type", "bill-of-lading", "--trade", "KE-7", "--account", "carrier")
    before = tx_count(addr("financier"))
    for command in (["release", "--account", "financier"], ["missing"]):
        refused = run("escrow", *command, funded, "1", "--doc", str(bl))
        assert refused.exit_code == 2 and refused.stderr.count("\n") == 1, refused.stderr
        assert refused.stderr == (
            "error: documents: bl.pdf was issued for trade KE-7, this escrow's trade reference (escrow documents "
            f"name the escrow id), not for escrow {funded}; its issuer anchors it for this escrow: "
            f"tradechain doc anchor bl.pdf --type bill-of-lading --escrow {funded}\n"
        )
    assert tx_count(addr("financier")) == before
    ok("doc", "anchor", str(bl), "--type", "bill-of-lading", "--escrow", funded, "--account", "carrier")  # the fix
    assert ok("escrow", "missing", funded, "1", "--doc", str(bl))["releasable"] is True


def test_escrow_missing_answers_with_its_exit_code(funded: str, tmp_path: Path) -> None:
    lacking = run("escrow", "missing", funded, "1")
    assert lacking.exit_code == 1
    assert lacking.output == f"milestone 1 of {funded} lacks a valid bill-of-lading issued for this escrow\n"
    bl = tmp_path / "bl.pdf"
    bl.write_bytes(b"%PDF bill of lading")
    ok("doc", "anchor", str(bl), "--type", "bill-of-lading", "--escrow", funded, "--account", "carrier")
    releasable = run("escrow", "missing", funded, "1", "--doc", str(bl))
    assert releasable.exit_code == 0 and "is releasable" in releasable.output
    assert run("escrow", "missing", funded, "3").exit_code == 2  # no such milestone


def test_documents_are_anchored_for_an_escrow_from_its_json_file(funded: str, tmp_path: Path) -> None:
    terms = tmp_path / "escrow.json"
    terms.write_text(json.dumps(ok("escrow", "status", funded)))  # {"escrow": ..., "terms": ...}
    bl = tmp_path / "bl.pdf"
    bl.write_bytes(b"%PDF bill of lading, by file")
    anchored = ok("doc", "anchor", str(bl), "--type", "bill-of-lading", "--escrow", str(terms), "--account", "carrier")
    assert anchored["escrow"] == funded
    unknown = run("doc", "anchor", str(bl), "--type", "bill-of-lading", "--escrow", "0x" + "ab" * 32)
    assert unknown.exit_code == 2 and unknown.stderr.startswith("error: escrow: no escrow with this id on this chain")


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

    assert main(funded, 1, account="financier") is False
    assert f"no valid bill-of-lading issued for escrow {funded} (trade KE-7)" in capsys.readouterr().out
    bl = tmp_path / "bl.pdf"
    bl.write_bytes(b"%PDF bl")
    ok("doc", "anchor", str(bl), "--type", "bill-of-lading", "--trade", "KE-7", "--account", "carrier")
    assert main(funded, 1, str(bl), account="financier") is False
    assert "bl.pdf was issued for trade KE-7, this escrow's trade reference" in capsys.readouterr().out
    ok("doc", "anchor", str(bl), "--type", "bill-of-lading", "--escrow", funded, "--account", "carrier")
    assert main(funded, 1, str(bl), account="financier") is True
    assert main(funded, 1, str(bl), account="financier") is False
    assert "released already" in capsys.readouterr().out


# `escrow open` with well-formed options (no --buyer, no --account): the bad-input cases change one or two
OPEN_OPTIONS = {
    "seller": "0x" + "11" * 20,
    "arbiter": "0x" + "22" * 20,
    "amount": "1",
    "deadline": "+1d",
    "trade": "T",
    "milestone": "100%:bill-of-lading",
}


def open_argv(**options: str) -> list[str]:
    merged = {**OPEN_OPTIONS, **options}
    return ["escrow", "open", *(a for name, value in merged.items() for a in (f"--{name}", value))]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (open_argv(seller="0x1", arbiter="0x1"), "error: seller: an address is"),
        (open_argv(amount="-5"), "error: amount: must be positive"),
        (open_argv(amount="1.0000001"), "error: amount: at most 6"),
        (open_argv(amount="1e40"), "error: amount: too large"),
        (open_argv(deadline="soon"), "error: deadline: a date"),
        (open_argv(milestone="60%:bill-of-lading"), "error: milestones: shares must"),
        (open_argv(milestone="all:bill-of-lading"), "error: milestone: SHARE%"),
        (["escrow", "fund", "0x1234"], "error: escrow: an escrow id is 0x followed by 64 hex digits"),
        (["escrow", "status", "0x" + "ab" * 32], "error: escrow: no escrow with this id"),
        (["escrow", "resolve", "0x" + "ab" * 32, "--seller-share", "lots"], "error: seller-share: a percentage"),
    ],
)
def test_bad_input_is_exit_2_with_field_and_rule(
    cli_env: Path, sdk_members: dict[str, int], args: list[str], message: str
) -> None:
    assert_bad_input(args, message)


def test_a_token_without_decimals_is_exit_2_and_nothing_sent(cli_env: Path, sdk: Any) -> None:
    """`escrow open --token` reads the token's decimals() through the SDK (tradechain.contracts.erc20): a contract
    that is no ERC-20 (here the participant registry) is a bad input, named, before anything is sent."""
    registry = sdk.deployment.address("ParticipantRegistry")
    before = tx_count(addr("admin"))
    result = run(
        "escrow",
        "open",
        "--seller",
        addr("seller"),
        "--arbiter",
        addr("arbiter"),
        "--token",
        registry,
        "--amount",
        "1",
        "--deadline",
        "+1d",
        "--trade",
        "T",
        "--milestone",
        "100%:bill-of-lading",
    )
    assert result.exit_code == 2, result.output + result.stderr
    assert result.stderr == f"error: token: not an ERC-20 token (it has no decimals()) (got {registry!r})\n"
    assert tx_count(addr("admin")) == before


# ---------------------------------------------------------------------------------------------- 12: 0x trade ids

NON_UTF8_TRADE = "0x" + "ff" * 20 + "c328" + "00" * 10  # 0xff and a broken 2-byte sequence: not UTF-8


@pytest.mark.parametrize(
    "trade",
    [NON_UTF8_TRADE, "0x" + "4b452d37" + "00" * 28, "0x" + "00" * 31 + "01", "0x" + "7f" * 32],
    ids=["not-utf8", "printable", "low-bytes", "del-bytes"],
)
def test_an_escrow_opened_with_a_0x_trade_id_is_funded_and_refunded_from_the_cli(
    cli_env: Path, sdk: Any, sdk_members: dict[str, int], trade: str
) -> None:
    usdc = sdk.contract("MockUSDC")
    sdk.send(usdc, "mint", addr("financier"), 10**12)
    opened = _open(trade)
    escrow = opened["escrow"]
    assert opened["terms"]["tradeId"] == trade
    balance = int(usdc.functions.balanceOf(addr("financier")).call())
    ok("escrow", "fund", escrow, "--account", "financier")
    assert int(usdc.functions.balanceOf(addr("financier")).call()) == balance - 1000 * 10**6
    status = ok("escrow", "status", escrow)
    assert (status["status"], status["held"]) == ("FUNDED", 1000 * 10**6)
    assert document_registry.trade_id(status["terms"]["tradeId"]) == bytes.fromhex(trade[2:])  # the same 32 bytes
    assert "\ufffd" not in json.dumps(status, ensure_ascii=False)
    chain.sleep(3 * 86_400)
    chain.mine()
    ok("escrow", "refund", escrow, "--account", "outsider")
    assert ok("escrow", "status", escrow)["status"] == "CLOSED"
    assert int(usdc.functions.balanceOf(addr("financier")).call()) == balance


def test_a_non_utf8_trade_id_round_trips_through_the_terms_json(
    cli_env: Path, sdk: Any, sdk_members: dict[str, int], tmp_path: Path
) -> None:
    """The escrow open --json file names the escrow for `doc anchor --escrow FILE`: its terms encode back to the
    same id; the documents anchored so release the escrow."""
    sdk.send(sdk.contract("MockUSDC"), "mint", addr("financier"), 10**12)
    opened = _open(NON_UTF8_TRADE, "+30d")
    escrow = opened["escrow"]
    saved = tmp_path / "escrow.json"
    saved.write_text(json.dumps(opened))
    ok("escrow", "fund", escrow, "--account", "financier")
    bl = tmp_path / "bl.pdf"
    bl.write_bytes(b"%PDF bill of lading, trade id not UTF-8")
    anchored = ok("doc", "anchor", str(bl), "--type", "bill-of-lading", "--escrow", str(saved), "--account", "carrier")
    assert anchored["escrow"] == escrow
    released = ok("escrow", "release", escrow, "1", "--doc", str(bl), "--account", "outsider")
    assert (released["status"], released["paidOut"]) == ("CLOSED", 1000 * 10**6)


def test_terms_keep_a_0x_trade_id_as_bytes_and_refuse_a_non_string() -> None:
    raw = bytes.fromhex(NON_UTF8_TRADE[2:])
    terms = Terms(
        addr("financier"),
        addr("buyer"),
        addr("seller"),
        addr("arbiter"),
        addr("admin"),
        5,
        2**32,
        NON_UTF8_TRADE,
        (Milestone(10_000, ("bill-of-lading",)),),
    )
    assert terms.trade_bytes == raw and terms.encoded()[7] == raw
    again = Terms.from_json(json.loads(json.dumps(terms.to_json())))
    assert again.encoded() == terms.encoded() and EscrowClient.escrow_id(again) == EscrowClient.escrow_id(terms)
    decoded = Terms.decode(terms.encoded())  # as read back from the EscrowOpened event
    assert decoded.trade_id == NON_UTF8_TRADE and decoded.encoded() == terms.encoded()
    for bad in (7, None, ["KE-7"], "0x" + "ff" * 31 + "f"):
        with pytest.raises(InputError) as info:
            Terms.from_json({**terms.to_json(), "tradeId": bad})
        assert info.value.field == "terms.tradeId"
