"""`tradechain invoice`: fingerprint, finance, check (exact and near duplicates), settle, portfolios, bad input."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import helpers
import pytest
from click.testing import CliRunner, Result
from conftest import tx_count

from tradechain.cli.main import cli

KEY = "0x" + bytes(range(32)).hex()
INVOICE = {
    "seller": {"scheme": "LEI", "id": "529900T8BM49AURSDO55"},
    "buyer": {"scheme": "LEI", "id": "5493001KJTIIGC8Y1R12"},
    "number": "INV-2024/0042",
    "issue_date": "05.03.2024",
    "date_format": "DD.MM.YYYY",
    "currency": "EUR",
    "amount": "1.250,00",
    "decimal_separator": ",",
}


ENV = {"TRADECHAIN_INVOICE_KEY": KEY}


def run(*args: str) -> Result:
    return helpers.run(*args, env=ENV)


def ok(*args: str) -> Any:
    return helpers.ok(*args, env=ENV)


def write(folder: Path, name: str, data: Any) -> str:
    path = folder / name
    path.write_text(json.dumps(data))
    return str(path)


def test_fingerprint_prints_the_documented_json(tmp_path: Path) -> None:
    out = ok("invoice", "fingerprint", write(tmp_path, "a.json", [INVOICE, {**INVOICE, "number": "inv 2024 0042"}]))
    assert len(out) == 2 and out[0] == out[1]
    assert set(out[0]) == {"fingerprint", "secondary"} and len(out[0]["secondary"]) == 4


def test_finance_refuse_flag_settle(cli_env: Path, sdk_members: dict[str, int], tmp_path: Path) -> None:
    original = write(tmp_path, "inv.json", INVOICE)
    ok("invoice", "finance", original, "--account", "financier")
    reformatted = write(
        tmp_path, "again.json", {**INVOICE, "number": "inv 2024 0042", "amount": "1250", "decimal_separator": "."}
    )
    refused = run("invoice", "finance", reformatted, "--account", "financier2")
    assert refused.exit_code == 1 and refused.stderr.startswith("error: InvoiceAlreadyFinanced(")
    altered = write(tmp_path, "altered.json", {**INVOICE, "number": "INV-2024/0042B"})
    flagged = run("invoice", "check", altered, "--json")
    assert flagged.exit_code == 5  # a near-duplicate of a financed invoice
    (check,) = json.loads(flagged.output)
    assert check["status"] == "NONE" and check["nearDuplicates"][0]["differsIn"] == "number"
    settled = run("invoice", "settle", original, "--account", "financier")
    assert settled.exit_code == 0 and settled.output.startswith("your share (100%) settled; the invoice is settled; tx")
    (after,) = ok("invoice", "check", original)
    assert (after["status"], after["settledBps"]) == ("SETTLED", 10_000)
    again = run("invoice", "finance", original, "--account", "financier2")
    assert again.exit_code == 1 and again.stderr.startswith("error: InvoiceAlreadySettled(")


def test_a_syndicate_settles_share_by_share(cli_env: Path, sdk_members: dict[str, int], tmp_path: Path) -> None:
    invoice = write(tmp_path, "inv.json", INVOICE)
    ok("invoice", "finance", invoice, "--share", "6000", "--account", "financier")
    ok("invoice", "finance", invoice, "--share", "4000", "--account", "financier2")
    settled = run("invoice", "settle", invoice, "--account", "financier2")
    assert settled.output.startswith("your share (40%) settled; 40% of 100% settled; tx")
    (check,) = ok("invoice", "check", invoice)
    assert (check["status"], check["settledBps"]) == ("FINANCED", 4_000)
    assert check["settledShares"] == [{"organisation": sdk_members["financier2"], "shareBps": 4_000}]
    said = run("invoice", "check", invoice).output
    assert f"(100% financed, first by organisation {sdk_members['financier']}; 40% settled: organisation " in said
    again = run("invoice", "settle", invoice, "--account", "financier2")
    assert again.exit_code == 1 and again.stderr.startswith("error: ShareAlreadySettled(")
    withdrawn = run("invoice", "cancel", invoice, "--account", "financier")
    assert withdrawn.output.startswith("your share (60%) withdrawn; tx")
    assert ok("invoice", "check", invoice)[0]["status"] == "SETTLED"  # every share left is settled


def test_import_portfolio_reports_duplicates(cli_env: Path, sdk_members: dict[str, int], tmp_path: Path) -> None:
    rows = "seller_scheme,seller_id,buyer_scheme,buyer_id,number,issue_date,currency,amount\n"
    rows += "".join(f"LEI,529900T8BM49AURSDO55,VAT,DE1,P-{i},2024-03-05,EUR,{100 + i}.00\n" for i in range(40))
    rows += "LEI,529900T8BM49AURSDO55,VAT,DE1,p 3,2024-03-05,EUR,103\n"  # invoice 3 again, reformatted
    path = tmp_path / "book.csv"
    path.write_text(rows)
    result = ok("invoice", "import-portfolio", str(path), "--account", "financier")
    assert (result["invoices"], result["financed"], result["refused"]) == (41, 40, [41])


def test_a_bank_financing_an_altered_copy_is_refused_unless_it_accepts_it(
    cli_env: Path, sdk_members: dict[str, int], tmp_path: Path
) -> None:
    original = write(tmp_path, "inv.json", INVOICE)
    financed = ok("invoice", "finance", original, "--account", "financier")
    assert (financed["nearDuplicates"], financed["acceptedNearDuplicate"]) == ([], None)
    altered = write(tmp_path, "altered.json", {**INVOICE, "number": "INV-2024/0042B"})  # offered to a second bank
    before = tx_count(helpers.addr("financier2"))
    refused = run("invoice", "finance", altered, "--account", "financier2")
    assert refused.exit_code == 5 and refused.stdout == "" and refused.stderr.count("\n") == 1
    assert refused.stderr.startswith(
        f"error: near-duplicate: invoice 0x{ok('invoice', 'fingerprint', altered)[0]['fingerprint'][2:14]}… "
        f"resembles financed invoice {financed['fingerprint']}: same seller, buyer, date, currency, amount; differs "
        "in number only: nothing sent; to finance it anyway, give --accept-near-duplicate REASON"
    )
    assert tx_count(helpers.addr("financier2")) == before  # nothing sent
    checked = run("invoice", "check", altered, "--json")
    assert checked.exit_code == 5 and json.loads(checked.stdout)[0]["status"] == "NONE"  # still unregistered
    reason = "credit note for INV-2024/0042, confirmed with the seller"
    accepted = ok("invoice", "finance", altered, "--accept-near-duplicate", reason, "--account", "financier2")
    assert accepted["acceptedNearDuplicate"] == reason
    assert accepted["nearDuplicates"] == [
        {
            "fingerprint": accepted["fingerprint"],
            "resembles": financed["fingerprint"],
            "resemblesStatus": "FINANCED",
            "matches": ["seller", "buyer", "date", "currency", "amount"],
            "differsIn": "number",
        }
    ]
    text = run(
        "invoice",
        "finance",
        write(tmp_path, "third.json", {**INVOICE, "number": "C"}),
        "--account",
        "financier2",
        "--accept-near-duplicate",
        "third copy, on purpose",
    ).output
    assert "\n    NEAR-DUPLICATE accepted: invoice 0x" in text and "\n    reason: third copy, on purpose" in text
    empty = run("invoice", "finance", altered, "--accept-near-duplicate", " ", "--account", "financier2")
    assert empty.exit_code == 2 and empty.stderr.startswith("error: accept-near-duplicate: give the reason")


def test_a_portfolio_with_a_near_duplicate_is_refused_whole(
    cli_env: Path, sdk_members: dict[str, int], tmp_path: Path
) -> None:
    ok("invoice", "finance", write(tmp_path, "inv.json", INVOICE), "--account", "financier")
    rows = "seller_scheme,seller_id,buyer_scheme,buyer_id,number,issue_date,currency,amount,date_format\n"
    rows += "".join(f"LEI,529900T8BM49AURSDO55,VAT,DE1,P-{i},2024-03-05,EUR,{100 + i}.00,\n" for i in range(5))
    rows += "LEI,529900T8BM49AURSDO55,LEI,5493001KJTIIGC8Y1R12,INV-2024/0042,05.03.2024,EUR,1250.01,DD.MM.YYYY\n"
    path = tmp_path / "book.csv"
    path.write_text(rows)
    before = tx_count(helpers.addr("financier2"))
    refused = run("invoice", "import-portfolio", str(path), "--account", "financier2")
    assert refused.exit_code == 5 and refused.stderr.startswith(
        "error: near-duplicates in the portfolio, invoice(s) 6: invoice 6 resembles financed invoice 0x"
    )
    assert "differs in amount only: nothing of the portfolio sent; to finance it anyway, give " in refused.stderr
    assert tx_count(helpers.addr("financier2")) == before  # not one of the five others either
    accepted = ok(
        "invoice",
        "import-portfolio",
        str(path),
        "--accept-near-duplicate",
        "amount corrected",
        "--account",
        "financier2",
    )
    assert (accepted["financed"], accepted["refused"], accepted["acceptedNearDuplicate"]) == (6, [], "amount corrected")
    assert [(n["invoice"], n["differsIn"]) for n in accepted["nearDuplicates"]] == [(6, "amount")]


EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_the_example_invoice_files_are_accepted_as_they_are(cli_env: Path, sdk_members: dict[str, int]) -> None:
    as_json = ok("invoice", "fingerprint", str(EXAMPLES / "invoices.json"))
    assert ok("invoice", "fingerprint", str(EXAMPLES / "invoices.csv")) == as_json  # the same portfolio, as CSV
    (one,) = ok("invoice", "fingerprint", str(EXAMPLES / "invoice.json"))
    assert one == as_json[0] and len({f["fingerprint"] for f in as_json}) == 4
    assert [c["status"] for c in ok("invoice", "check", str(EXAMPLES / "invoices.csv"))] == ["NONE"] * 4
    financed = ok("invoice", "finance", str(EXAMPLES / "invoice.json"), "--account", "financier")
    assert financed["fingerprint"] == one["fingerprint"] and financed["nearDuplicates"] == []
    portfolio = ok("invoice", "import-portfolio", str(EXAMPLES / "invoices.csv"), "--account", "financier2")
    assert (portfolio["financed"], portfolio["refused"], portfolio["nearDuplicates"]) == (3, [1], [])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["invoice", "fingerprint", "missing.json"], "error: file: not found"),
        (["invoice", "finance", "{f}", "--share", "0"], "error: share: a share is 1 to 10,000"),
        (["invoice", "check", "{f}", "--buyer", "0x12"], "error: buyer: an address is"),
    ],
)
def test_bad_input(cli_env: Path, sdk_members: dict[str, int], tmp_path: Path, args: list[str], message: str) -> None:
    args = [a.replace("{f}", write(tmp_path, "i.json", INVOICE)) for a in args]
    result = run(*args)
    assert result.exit_code == 2 and result.stderr.startswith(message), result.stderr


def test_bad_invoice_in_a_file_names_its_position(tmp_path: Path) -> None:
    path = write(tmp_path, "two.json", [INVOICE, {**INVOICE, "currency": "EUX"}])
    result = run("invoice", "fingerprint", path)
    assert result.exit_code == 2 and result.stderr.startswith("error: invoice 2: currency: not an ISO 4217")


def test_missing_key_is_one_line(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli, ["invoice", "fingerprint", write(tmp_path, "i.json", INVOICE)], env={"TRADECHAIN_INVOICE_KEY": ""}
    )
    assert result.exit_code == 2 and result.stderr.startswith("error: key: give --key-file or set")


def test_buyer_signs_an_acknowledgment_that_the_financier_records(
    cli_env: Path, sdk_members: dict[str, int], tmp_path: Path
) -> None:
    invoice = write(tmp_path, "inv.json", INVOICE)
    ack_path = tmp_path / "ack.json"
    signed = ok("invoice", "sign-acknowledgment", invoice, "--account", "customer", "--out", str(ack_path))
    assert json.loads(ack_path.read_text()) == signed and signed["nonce"] == 0
    recorded = ok("invoice", "acknowledge", str(ack_path), "--account", "financier")
    assert recorded["buyer"] == signed["buyer"] and recorded["gasUsed"] > 0
    (check,) = ok("invoice", "check", invoice)
    assert check["acknowledgedBy"] == [signed["buyer"]] and "buyer" not in check
    (known,) = ok("invoice", "check", invoice, "--buyer", signed["buyer"])
    assert known["buyer"] == signed["buyer"] and known["buyerAcknowledgedAt"] > 0
    said = run("invoice", "check", invoice, "--buyer", signed["buyer"]).output
    assert f"acknowledged by buyer {signed['buyer']} at 20" in said
    stranger = "0x" + "11" * 20
    said = run("invoice", "check", invoice, "--buyer", stranger).output
    assert f"NOT acknowledged by buyer {stranger}" in said
    assert f"acknowledged by other signers: {signed['buyer']}" in said
    again = run("invoice", "acknowledge", str(ack_path), "--account", "financier")
    assert again.exit_code == 1 and again.stderr.startswith("error: InvoiceAlreadyAcknowledged(")
    tampered = write(tmp_path, "bad.json", {**signed, "buyer": "0x" + "aB" * 20})
    bad = run("invoice", "acknowledge", tampered, "--account", "financier")
    assert bad.exit_code == 2 and "buyer: bad EIP-55 checksum" in bad.stderr
