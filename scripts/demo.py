"""The cross-border scenario of ``make demo``, told through the SDK on the local chain.

Each chapter is one story of the product; later features add chapters. The demo can be run again and again on the
persistent local node: it reuses the suite recorded in deployments/31337.json while its code is still at the
recorded addresses (else it deploys a new one, and the earlier record is kept as deployments/31337.<block>.json),
admits the consortium once, and tells every later story with fresh identifiers (GTINs, lots, containers, watch
serials, trade ids, invoice numbers): run n of the demo on a suite uses the n-th of each (:class:`RunIds`).

    brownie run scripts/demo.py --network tradechain-local
"""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from eth_account import Account
from eth_hash.auto import keccak
from rich.console import Console
from rich.table import Table

from tradechain.chain import accounts, project
from tradechain.chain.tx import Call
from tradechain.client import Client
from tradechain.contracts import document_registry, profiles
from tradechain.contracts import luxury_certificate as certs
from tradechain.contracts.dvp_settlement import Terms as DvPTerms
from tradechain.contracts.product_registry import LotSpec, lot_id, sscc_unit
from tradechain.contracts.title_registry import hex_id as hex_title
from tradechain.contracts.trade_escrow import Milestone, Terms, missing_names
from tradechain.ebl import history as ebl_history
from tradechain.ebl import schemas as dcsa_schemas
from tradechain.ebl.document import sample_transport_document
from tradechain.errors import ContractRevert, InputError
from tradechain.formats import gs1, invoice_fingerprints
from tradechain.formats.gs1 import with_check_digit
from tradechain.formats.identity import lei_with_check_digits
from tradechain.indexer import Indexer, Store
from tradechain.portal import remote, server
from tradechain.risk import audit as risk_audit
from tradechain.risk import declarations, scoring
from tradechain.risk.artifact import RiskModel
from tradechain.risk.store import ModelStore
from tradechain.scripting import script_client
from tradechain.suite import reuse_or_deploy

console = Console(width=110)


@dataclass
class Report:
    chapters: list[tuple[str, list[str]]] = field(default_factory=list)

    def chapter(self, title: str) -> list[str]:
        lines: list[str] = []
        self.chapters.append((title, lines))
        console.rule(f"[bold]{title}")
        return lines

    def say(self, lines: list[str], text: str) -> None:
        lines.append(text)
        console.print(f"  {text}")


# The consortium of a coffee and tuna corridor: Vietnam and Ecuador to Europe.
MEMBERS = [
    # dev account (its key signs for the organisation), legal identity, country, roles
    ("brand", {"lei": lei_with_check_digits("815600MAISONCAFE01")}, "IT", "brand"),
    (
        "manufacturer",
        {"lei": lei_with_check_digits("254900VIETROAST001"), "gln": with_check_digit("893456700000")},
        "VN",
        "manufacturer",
    ),
    ("carrier", {"gln": with_check_digit("888888800000")}, "SG", "carrier"),
    ("customs", {"lei": lei_with_check_digits("724500DOUANENL0001")}, "NL", "customs"),
    ("inspector", {"lei": lei_with_check_digits("213800INSPECTAG001")}, "CH", "inspector"),
    ("financier", {"lei": lei_with_check_digits("529900TRADEBANK001")}, "DE", "financier"),
    ("regulator", {"lei": lei_with_check_digits("969500FOODSAFETY01")}, "BE", "regulator"),
    (
        "retailer",
        {"lei": lei_with_check_digits("724500VERSMARKT001"), "gln": with_check_digit("871000000001")},
        "NL",
        "retailer",
    ),
    # the tuna and the medicine corridors
    ("manufacturer2", {"lei": lei_with_check_digits("254900NUSATUNA0001")}, "ID", "manufacturer"),  # fishery
    ("brand2", {"lei": lei_with_check_digits("254900SIAMCANNERY1")}, "TH", "manufacturer,brand"),  # cannery
    ("seller", {"lei": lei_with_check_digits("335800PUNEPHARMA01")}, "IN", "manufacturer"),  # drug maker
    ("buyer", {"lei": lei_with_check_digits("529900GROSSHANDEL1")}, "DE", "retailer"),  # wholesaler
    (
        "retailer2",
        {"lei": lei_with_check_digits("969500PHARMACIE001"), "gln": with_check_digit("300000000002")},
        "FR",
        "retailer",
    ),  # pharmacy
    ("arbiter", {"lei": lei_with_check_digits("969500ARBITRAGE001")}, "FR", "certifier"),  # arbitration body
]


# The names the members publish in their profiles (kept off chain, their hash on chain): pages and outputs show
# "Pune Pharma Ltd (org 11)" where they would show "org 11".
NAMES = {
    "brand": "Maison Milano",
    "manufacturer": "Viet Roast Co",
    "carrier": "Lion City Shipping",
    "customs": "Douane Nederland",
    "inspector": "Inspecta AG",
    "financier": "Trade Bank AG",
    "regulator": "Belgian Food Safety Agency",
    "retailer": "Versmarkt B.V.",
    "manufacturer2": "Nusa Tuna Fishery",
    "brand2": "Siam Cannery",
    "seller": "Pune Pharma Ltd",
    "buyer": "Grosshandel Pharma GmbH",
    "retailer2": "Pharmacie du Centre",
    "arbiter": "Chambre d'arbitrage de Paris",
    "financier2": "Mombasa Importers Ltd",
    "carrier2": "CCPIT Shenzhen",
}


# The GS1 company prefixes the admin licenses: only their licensee claims the GTINs and packs the SSCCs carrying
# them (a GTIN-14 carries its prefix after the indicator digit, an SSCC after the extension digit).
PREFIXES = [
    ("manufacturer2", "8991000"),  # the fishery: the tuna GTIN 0 8991000 00001 c
    ("brand2", "8852000"),  # the cannery: the cans 0 8852000 00001 c and its container 0 8852000 000000011 c
    ("seller", "8903000"),  # the drug maker: the medicine 0 8903000 00001 c and its pallet 0 8903000 000000012 c
]


@dataclass(frozen=True)
class RunIds:
    """The identifiers of run ``n`` of the demo on one suite, fresh each run: the GTINs (the company prefixes'
    item reference ``n``) and everything under them, the containers (serial reference ``n``), the watch serials,
    the escrow trade ids and the invoice number and date."""

    n: int

    def gtin(self, prefix: str) -> str:
        return with_check_digit(f"0{prefix}{self.n:05d}")  # indicator 0, a 7-digit prefix, 5 digits of item

    def sscc(self, prefix: str, tail: str) -> str:
        return with_check_digit(f"0{prefix}{self.n:07d}{tail}")  # extension 0, the prefix, 9 digits of serial

    @property
    def tag(self) -> str:
        return f"{self.n:04d}"


MAX_RUNS = 99_999  # the GTINs' item references of the demo's prefixes


def run_number(admin: Client) -> int:
    """This run's ``n``: 1 + the runs of the demo the suite has seen, told by the chain itself (the first ``n``
    whose tuna GTIN nobody has claimed: every run claims its own first, before anything else of that ``n``)."""

    def claimed(n: int) -> bool:
        return n <= MAX_RUNS and admin.products.gtin_owner(tuna_gtin(RunIds(n))) != 0

    low, high = 0, 1  # runs up to `low` have claimed theirs; `high` is unclaimed once the gallop stops
    while claimed(high):
        low, high = high, min(high * 2, MAX_RUNS + 1)
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (middle, high) if claimed(middle) else (low, middle)
    if high > MAX_RUNS:
        raise RuntimeError(f"the demo ran {MAX_RUNS:,} times on this suite: `tradechain deploy --force` for a new one")
    return high


def member(admin: Client, key: str, ident: dict[str, str], country: str, roles: str) -> tuple[int, int | None]:
    """The organisation the dev account ``key`` manages: admitted now (its id and the gas), or by an earlier run
    (its id and None)."""
    manager = accounts.dev_account(key).address
    org, _ = admin.participants.organisation_of(manager)
    profile = {"name": NAMES[key], "country": country}
    if org == 0:
        digest = profiles.profile_hash(profile)
        result = admin.participants.admit(country=country, roles=roles, manager=manager, profile_hash=digest, **ident)
        admin.participants.store_profile(result.organisation, profile)
        return result.organisation, result.receipt.gas_used
    with contextlib.suppress(InputError):  # a suite of an earlier demo, admitted without profiles
        admin.participants.store_profile(org, profile)
    found = admin.participants.get(org)
    if (found.lei, found.gln) != (ident.get("lei"), ident.get("gln")):
        raise RuntimeError(
            f"dev account {key} already belongs to organisation {org} (LEI {found.lei}, GLN {found.gln}), not to the "
            "demo's: the demo needs a suite of its own (`tradechain deploy --force`)"
        )
    return org, None


def consortium_chapter(report: Report, admin: Client, as_role: Any, ids: RunIds) -> tuple[dict[str, int], str]:
    lines = report.chapter("1. The consortium admits its members")
    orgs: dict[str, int] = {}
    for key, ident, country, roles in MEMBERS:
        orgs[key], gas = member(admin, key, ident, country, roles)
        report.say(
            lines,
            f"organisation {orgs[key]}: {key:12} {country}  "
            f"{ident.get('lei') or '-':20} {ident.get('gln') or '-':13}  "
            + (f"gas {gas:,}" if gas is not None else "a member since an earlier run"),
        )
    bad = MEMBERS[0][1]["lei"][:18] + "00"
    try:
        admin.participants.admit(
            lei=bad, country="IT", roles="brand", manager=accounts.dev_account("customer2").address
        )
    except InputError as exc:
        report.say(lines, f"a mistyped LEI is refused before anything is sent: {exc.user_message}")
    licensed = admin.participants.company_prefixes()
    for key, prefix in PREFIXES:
        if licensed.get(prefix) == orgs[key]:
            report.say(lines, f"GS1 company prefix {prefix} licensed to organisation {orgs[key]} ({key}) since earlier")
            continue
        licence = admin.participants.assign_company_prefix(prefix, orgs[key])
        report.say(
            lines,
            f"GS1 company prefix {prefix} licensed to organisation {orgs[key]} ({key}), "
            f"gas {licence.receipt.gas_used:,}",
        )
    cans = cans_gtin(ids)
    try:
        as_role("manufacturer2").products.claim_gtin(cans)
    except ContractRevert as exc:
        report.say(lines, f"the fishery cannot claim the cannery's GTIN {cans}: {exc.error_name}")

    lines = report.chapter("2. A carrier rotates a key, and is suspended")
    carrier = as_role("carrier")
    spare, new_key = Account.create().address, Account.create().address  # new keys each run
    carrier.participants.add_account(orgs["carrier"], spare)
    carrier.participants.rotate_account(spare, new_key)
    accts = admin.participants.accounts(orgs["carrier"])
    report.say(lines, f"carrier accounts after rotation: {', '.join(a['account'][:10] + '…' for a in accts)}")
    admin.participants.suspend(orgs["carrier"], "customs fraud inquiry")
    try:
        admin.participants.require_role(accounts.dev_account("carrier").address, "carrier")
    except ContractRevert as exc:
        report.say(lines, f"suspended carrier's account is refused at once: {exc.user_message}")
    admin.participants.reinstate(orgs["carrier"])
    ok = admin.participants.is_authorized(new_key, "carrier")
    report.say(lines, f"inquiry closed, carrier reinstated; rotated key acts as carrier again: {ok}")
    return orgs, new_key


# The products of run n (RunIds): GTINs and SSCCs under the company prefixes of PREFIXES.
def tuna_gtin(ids: RunIds) -> str:
    return ids.gtin("8991000")  # the fishery's


def cans_gtin(ids: RunIds) -> str:
    return ids.gtin("8852000")  # the cannery's


EXPIRY = date(2029, 12, 31)


def tuna_chapter(
    report: Report, admin: Client, as_role: Any, orgs: dict[str, int], index: Store, ids: RunIds
) -> dict[str, Any]:
    lines = report.chapter("3. Tuna: caught in Indonesia, canned in Thailand, sold in the Netherlands, recalled")
    fishery, cannery = as_role("manufacturer2"), as_role("brand2")
    carrier, customs, retailer, regulator = (as_role(r) for r in ("carrier", "customs", "retailer", "regulator"))
    tuna_code, cans_code, container = tuna_gtin(ids), cans_gtin(ids), ids.sscc("8852000", "11")
    catch, can_a, can_b = f"YF-{ids.tag}", f"C-{ids.tag}-A", f"C-{ids.tag}-B"
    fishery.products.claim_gtin(tuna_code)  # first of this run: the run's number is told by this claim (run_number)
    tuna, _ = fishery.products.register_lot(LotSpec(tuna_code, catch, EXPIRY, "ID"))
    fishery.products.ship(tuna, orgs["brand2"])
    cannery.products.receive(tuna)
    report.say(lines, f"fishery (ID) landed yellowfin lot {tuna_code}/{catch} and handed it to the cannery (TH)")
    cannery.products.claim_gtin(cans_code)
    cans, receipt = cannery.products.transform(
        [tuna], [LotSpec(cans_code, can_a, EXPIRY, "TH"), LotSpec(cans_code, can_b, EXPIRY, "TH")]
    )
    report.say(lines, f"cannery turned it into can lots {can_a} and {can_b} (gas {receipt.gas_used:,})")
    box = sscc_unit(container)
    cannery.products.pack(box, cans)
    cannery.products.ship(box, orgs["carrier"])
    handover = carrier.products.receive(box)
    customs.products.inspect(box, passed=True)
    carrier.products.ship(box, orgs["retailer"])
    retailer.products.receive(box)
    retailer.products.unpack(box, cans[:1])
    report.say(
        lines,
        f"container {container}: packed, shipped via Singapore (receipt gas {handover.gas_used:,}), "
        "cleared by Dutch customs, received and half unpacked by the retailer",
    )
    scan = f"(01){cans_code}(17){EXPIRY:%y%m%d}(10){can_a}"
    before = admin.products.verify(gs1.parse_any(scan)).status.name
    report.say(lines, f"a shopper scans a can: {before}")
    Indexer(admin, index).sync()
    origin = index.origin("0x" + cans[0].hex())
    report.say(
        lines, "trace to origin: " + " <- ".join(f"{o['gtin']}/{o['lot_number']} ({o['origin']})" for o in origin)
    )
    impact = index.impact("0x" + tuna.hex())
    downstream = [e for e in impact["lots"][1:] if e["gtin"]]
    regulator.products.recall([tuna] + [bytes.fromhex(e["lot"][2:]) for e in downstream], "histamine")
    report.say(lines, "histamine found: the regulator recalls the catch and every lot made from it:")
    for e in downstream:
        report.say(lines, f"  {e['gtin']}/{e['lot_number']}  held by organisation {e['holder']}")
    after = admin.products.verify(gs1.parse_any(scan)).status.name
    report.say(lines, f"the same can scanned again: {after}")
    return {
        "before": before,
        "after": after,
        "recalled": 1 + len(downstream),
        "holders": sorted({e["holder"] for e in downstream}),
        "origin": [o["origin"] for o in origin],
    }


def medicine_chapter(
    report: Report, admin: Client, as_role: Any, orgs: dict[str, int], ids: RunIds, links: dict[str, Any]
) -> list[str]:
    lines = report.chapter("4. Medicine: India to a German wholesaler to a French pharmacy")
    maker, wholesaler, pharmacy, regulator = (as_role(r) for r in ("seller", "buyer", "retailer2", "regulator"))
    medicine, pallet_code = ids.gtin("8903000"), ids.sscc("8903000", "12")
    first_lot, second_lot = f"AMX-{ids.tag}-1", f"AMX-{ids.tag}-2"
    maker.products.claim_gtin(medicine)
    for lot in (first_lot, second_lot):
        maker.products.register_lot(LotSpec(medicine, lot, EXPIRY, "IN"))
    batch, receipt = maker.products.commission(medicine, first_lot, [f"AX{i:07d}" for i in range(1, 1001)])
    other, _ = maker.products.commission(medicine, second_lot, [f"BX{i:07d}" for i in range(1, 101)])
    report.say(
        lines,
        f"1,000 serialized packs of lot {first_lot} commissioned in one transaction "
        f"({receipt.gas_used:,} gas, {receipt.gas_used / 1000:.0f} per pack)",
    )
    pallet = sscc_unit(pallet_code)
    units = [bytes.fromhex(batch.batch[2:]), bytes.fromhex(other.batch[2:])]
    maker.products.pack(pallet, units)
    maker.products.ship(pallet, orgs["buyer"])
    wholesaler.products.receive(pallet)
    wholesaler.products.unpack(pallet, units)
    for unit in units:
        wholesaler.products.ship(unit, orgs["retailer2"])
        pharmacy.products.receive(unit)
    report.say(lines, "pallet shipped to the wholesaler, unpacked, both batches passed on to the pharmacy")
    link = f"https://id.gs1.org/01/{medicine}/10/{first_lot}/21/AX0000042?17={EXPIRY:%y%m%d}"
    verdicts = [pharmacy.products.verify(gs1.parse_any(link)).status.name]
    report.say(lines, f"pharmacist scans pack AX0000042: {verdicts[-1]}")
    pharmacy.products.dispense(medicine, "AX0000042")
    verdicts.append(pharmacy.products.verify(gs1.parse_any(link)).status.name)
    report.say(lines, f"dispensed to a patient; later a second box with the same code turns up: {verdicts[-1]}")
    fake = f"(01){medicine}(17){EXPIRY:%y%m%d}(10){first_lot}(21)ZZ9999999"
    verdicts.append(pharmacy.products.verify(gs1.parse_any(fake)).status.name)
    report.say(lines, f"a box with a serial nobody commissioned: {verdicts[-1]}")
    regulator.products.recall([lot_id(medicine, second_lot)], "out-of-specification dissolution")
    second = f"(01){medicine}(17){EXPIRY:%y%m%d}(10){second_lot}(21)BX0000007"
    verdicts.append(pharmacy.products.verify(gs1.parse_any(second)).status.name)
    report.say(lines, f"lot {second_lot} recalled by the regulator; a pack from it: {verdicts[-1]}")
    query = f"?17={EXPIRY:%y%m%d}"
    links["packs"] = {
        "pack_authentic": f"/01/{medicine}/10/{first_lot}/21/AX0000043{query}",
        "pack_clone": f"/01/{medicine}/10/{first_lot}/21/AX0000042{query}",
        "pack_recalled": f"/01/{medicine}/10/{second_lot}/21/BX0000007{query}",
    }
    links["batches"] = [batch, other]
    return verdicts


def watch_chapter(
    report: Report, admin: Client, as_role: Any, orgs: dict[str, int], ids: RunIds, links: dict[str, Any]
) -> dict[str, Any]:
    lines = report.chapter("5. Watches: 1,000 certificates, two resales by claim, a theft, a recovery")
    maison = as_role("brand")
    rows = [
        (
            f"MC-{ids.tag}-{i:05d}",
            {
                "model": "Maison Chronograph",
                "reference": "MC-42",
                "case": "steel",
                "origin": "CH",
                "serial": f"MC-{ids.tag}-{i:05d}",
            },
        )
        for i in range(1, 1001)
    ]
    result = maison.certificates.issue_batch(rows)
    report.say(
        lines,
        f"the brand issued {len(result.issued):,} certificates in {len(result.transactions)} "
        f"transactions ({result.to_json()['gasPerCertificate']:,} gas each)",
    )
    serial = f"MC-{ids.tag}-00042"
    token = certs.certificate_id(orgs["brand"], serial)
    first, second = as_role("customer"), as_role("customer2")
    secret, _ = maison.certificates.open_claim(token)
    first.certificates.claim(token, secret)
    report.say(lines, f"boutique sale: the buyer scans the card in the box and claims certificate {serial}")
    secret, _ = first.certificates.open_claim(token)
    second.certificates.claim(token, secret)
    report.say(lines, "resold second hand: the new owner claims it with the seller's one-time secret")
    second.certificates.report(token, stolen=True)
    thief = as_role("outsider")
    try:
        second.certificates.transfer(token, thief.require_signer().address)
    except ContractRevert as exc:
        report.say(lines, f"stolen and reported; the thief's transfer fails: {exc.error_name}")
    check = thief.certificates.verify(token)
    report.say(
        lines,
        f"a buyer offered the watch checks it: {check.status.name} "
        f"(owner {check.owner[:10]}…, {check.previous_owners} previous owners)",
    )
    maison.certificates.clear_report(token)
    recovered = thief.certificates.verify(token)
    report.say(lines, f"the police return it, the brand clears the report: {recovered.status.name}")
    window = certs.certificate_id(orgs["brand"], f"MC-{ids.tag}-00043")
    maison.certificates.report(window, stolen=True)
    report.say(lines, f"another watch, MC-{ids.tag}-00043, is stolen from the boutique's window: reported STOLEN")
    links["certificates"] = {
        "certificate_valid": f"/certificate/0x{token:064x}",
        "certificate_stolen": f"/certificate/0x{window:064x}",
    }
    links["metadata"] = [(certs.certificate_id(orgs["brand"], serial), meta) for serial, meta in rows[41:43]]
    return {
        "issued": len(result.issued),
        "stolen": check.status.name,
        "recovered": recovered.status.name,
        "previousOwners": check.previous_owners,
    }


def trade_finance_chapter(
    report: Report, admin: Client, as_role: Any, orgs: dict[str, int], ids: RunIds
) -> dict[str, Any]:
    lines = report.chapter("6. Machinery from China to Kenya: documents, an escrow, a forgery, a dispute")
    importer, _ = member(admin, "financier2", {"lei": lei_with_check_digits("5493KEMOMBASAIMP01")}, "KE", "retailer")
    chamber, _ = member(admin, "carrier2", {"lei": lei_with_check_digits("300300CCPITSHENZH1")}, "CN", "certifier")
    bank, carrier, inspector = as_role("financier"), as_role("carrier"), as_role("inspector")
    usdc = admin.contract("MockUSDC")
    admin.send(usdc, "mint", bank.require_signer().address, 2_000_000 * 10**6)
    trade = f"KE-CN-{ids.tag}-017"
    folder = project.state_home() / "demo-documents" / trade  # each run's documents and proofs kept apart
    folder.mkdir(parents=True, exist_ok=True)
    deadline = int(datetime.now(UTC).timestamp()) + 60 * 86400
    addr = {r: accounts.dev_account(r).address for r in ("financier2", "seller", "arbiter")}
    terms = Terms(
        bank.require_signer().address,
        addr["financier2"],
        addr["seller"],
        addr["arbiter"],
        usdc.address,
        1_250_000 * 10**6,
        deadline,
        trade,
        (
            Milestone(3_000, ("bill-of-lading",), issuer=orgs["carrier"]),
            Milestone(7_000, ("delivery-attestation",), issuer=orgs["inspector"]),
        ),
    )
    escrow_id, opened = bank.escrow.open(terms)
    funded = bank.escrow.fund(terms)
    report.say(
        lines,
        f"the importer's bank funds escrow {escrow_id[:12]}… with 1,250,000 USDC "
        f"(30% on the carrier's bill of lading, 70% on the inspector's delivery attestation)",
    )
    bl = folder / "bill-of-lading.pdf"
    bl.write_bytes(b"%PDF-1.7 bill of lading COSU6281 Shenzhen -> Mombasa, 2 x CNC lathe " + trade.encode())
    carrier.documents.anchor([bl], "bill-of-lading", escrow_id)  # issued for this escrow: its id is the trade id
    first = as_role("outsider").escrow.release(terms, 0, [bl])
    report.say(
        lines,
        "the carrier anchors the bill of lading for the escrow; the release of 30% goes through: "
        f"{bank.escrow.state(escrow_id)['paidOut'] // 10**6:,} USDC to the exporter",
    )
    origin = folder / "certificate-of-origin.json"
    coo = {"exporter": "Shenzhen Precision Machinery", "origin": "CN", "hs": "845811", "trade": trade}
    origin.write_text(json.dumps(coo))
    as_role("carrier2").documents.anchor([origin], "certificate-of-origin", escrow_id)
    forged = folder / "certificate-of-origin-forged.json"
    forged.write_text(json.dumps({**coo, "origin": "DE"}))
    document_registry.proof_path(forged).write_text(document_registry.proof_path(origin).read_text())
    genuine, fake = bank.documents.verify(origin), bank.documents.verify(forged)
    report.say(
        lines,
        f"certificate of origin by the chamber of commerce: {'VALID' if genuine.valid else 'INVALID'}; "
        f"a copy altered to 'made in Germany': {'VALID' if fake.valid else 'INVALID'}",
    )
    try:
        bank.escrow.release(terms, 1, [])
    except ContractRevert as exc:
        report.say(lines, f"an early release of the rest is refused: missing {missing_names(exc.missingDocs)}")
    delivered = folder / "delivery-attestation.pdf"
    delivered.write_bytes(b"%PDF-1.7 delivered and installed, Nairobi " + trade.encode())
    inspector.documents.anchor([delivered], "delivery-attestation", escrow_id)
    second = bank.escrow.release(terms, 1, [delivered])
    state = bank.escrow.state(escrow_id)
    lifecycle = opened.gas_used + funded.gas_used + first.gas_used + second.gas_used
    report.say(
        lines,
        f"the inspector attests delivery; the rest is released: {state['status']}, "
        f"{state['paidOut'] // 10**6:,} USDC paid (gas for the whole escrow {lifecycle:,})",
    )
    disputed = Terms(
        terms.funder,
        terms.buyer,
        terms.seller,
        terms.arbiter,
        usdc.address,
        400_000 * 10**6,
        deadline,
        f"KE-CN-{ids.tag}-018",
        (Milestone(10_000, ("delivery-attestation",)),),
    )
    second_id, _ = bank.escrow.open(disputed)
    bank.escrow.fund(disputed)
    from tradechain.errors import InputError

    try:
        bank.escrow.release(disputed, 0, [delivered])
    except InputError:
        report.say(
            lines,
            "the first shipment's delivery attestation, offered for a second escrow: refused, it was issued for the "
            "first (one set of documents pays one escrow)",
        )
    as_role("financier2").escrow.dispute(disputed, "lathe delivered damaged")
    as_role("arbiter").escrow.resolve(disputed, 4_000)
    split = bank.escrow.state(second_id)
    report.say(
        lines,
        "a second shipment arrives damaged; the importer disputes, the arbiter gives 40% to the "
        f"exporter and 60% back to the bank: {split['status']}",
    )
    return {
        "released": state["status"],
        "paid": state["paidOut"],
        "forgedValid": fake.valid,
        "genuineValid": genuine.valid,
        "dispute": split["status"],
        "lifecycleGas": lifecycle,
        "importer": importer,
        "chamber": chamber,
    }


def invoice_chapter(report: Report, admin: Client, as_role: Any, trade: dict[str, Any], ids: RunIds) -> dict[str, Any]:
    lines = report.chapter("7. One invoice, two banks: double financing refused, a near-duplicate flagged")
    key = keccak(b"tradechain demo network key (never use outside the demo)")
    bank_b_account = Account.from_key(keccak(b"tradechain demo bank B"))
    admin.require_signer().send(Call(bank_b_account.address, b"", value=10**19, gas=21_000))  # gas money
    bank_b_lei = lei_with_check_digits("529900HANSEBANKHAM")
    if admin.participants.organisation_of(bank_b_account.address)[0] == 0:  # admitted once, by the first run
        admin.participants.admit(lei=bank_b_lei, country="DE", roles="financier", manager=bank_b_account.address)
    bank_a, bank_b = as_role("financier"), Client(admin.w3, bank_b_account, deployment=admin.deployment)
    number, issued = f"SPM-{ids.tag}/0917", date(2026, 11, 12) + timedelta(days=ids.n - 1)  # a new invoice each run
    invoice = {
        "seller": {"scheme": "LEI", "id": lei_with_check_digits("300300SHENZHENPM01")},
        "buyer": {"scheme": "LEI", "id": lei_with_check_digits("5493KEMOMBASAIMP01")},
        "number": number,
        "issue_date": f"{issued:%d.%m.%Y}",
        "date_format": "DD.MM.YYYY",
        "currency": "USD",
        "amount": "1.250.000,00",
        "decimal_separator": ",",
    }
    fingerprint = invoice_fingerprints.Fingerprinter(key)
    original = fingerprint(invoice_fingerprints.canonicalise(invoice))
    importer = as_role("buyer")  # the Mombasa importer owes the invoice: it acknowledges it, off chain
    now = admin.chain_time()
    ack = importer.invoices.sign_acknowledgment(original, deadline=now + 7 * 86_400)
    bank_a.invoices.acknowledge(ack)
    bank_a.invoices.register(original)
    report.say(
        lines,
        f"the importer signs an EIP-712 acknowledgment of invoice {number}; bank A records it and finances the "
        f"invoice (fingerprint {original.to_json()['fingerprint'][:14]}…)",
    )
    reformatted = fingerprint(
        invoice_fingerprints.canonicalise(
            {
                **invoice,
                "number": number.lower().replace("-", " ").replace("/", " "),
                "issue_date": issued.isoformat(),
                "date_format": "YYYY-MM-DD",
                "amount": "1250000",
                "decimal_separator": ".",
            }
        )
    )
    refused = ""
    try:
        bank_b.invoices.register(reformatted)
    except ContractRevert as exc:
        refused = exc.error_name
        report.say(lines, f"the same invoice, reformatted, at bank B: refused ({exc.error_name})")
    altered = fingerprint(invoice_fingerprints.canonicalise({**invoice, "number": f"{number}-R"}))
    check = bank_b.invoices.check(altered)
    report.say(
        lines,
        f"with the number altered: not an exact match, but flagged as a near-duplicate "
        f"(differs in {check.near[0]['differsIn'] if check.near else '-'}); bank B declines",
    )
    paid = bank_a.invoices.settlement(bank_a.invoices.settle(original))  # its own share: here the whole invoice
    settled = ""
    try:
        bank_b.invoices.register(original)
    except ContractRevert as exc:
        settled = exc.error_name
    report.say(
        lines,
        f"the importer pays, bank A settles its own share ({paid['shareBps'] / 100:g}%), which settles the invoice "
        f"({paid['settledBps'] / 100:g}% of it settled); financing it again is refused ({settled})",
    )
    return {
        "acknowledgedBy": bank_b.invoices.check(original, buyer=ack.buyer).buyer_acknowledged_at > 0,
        "refused": refused,
        "near": [n["differsIn"] for n in check.near],
        "settled": settled,
    }


CUSTOMS_DATA = project.root().parent / "shared" / "datasets" / "customs-declarations"
"""Korea Customs Service's declarations (beside the project, never inside it); without them the demo trains on a
synthetic sample with the same columns."""


def demo_model() -> tuple[RiskModel, str]:
    """The customs risk model of the demo: trained once on the declarations (else a synthetic sample) and kept in
    the state directory, then reused by every later run (so its id, and its record on chain, stay the same)."""
    from tradechain.risk import artifact, training

    real = (CUSTOMS_DATA / declarations.TRAIN_FILE).is_file()
    folder = project.state_home() / "risk" / ("demo-model" if real else "demo-model-sample")
    if (folder / artifact.MODEL_FILE).is_file():
        return RiskModel.load(folder), "the Korea Customs Service declarations" if real else "a synthetic sample"
    data = CUSTOMS_DATA if real else declarations.write_sample(project.state_home() / "risk" / "sample", 3000)
    split = declarations.load(data)
    trained = training.train(split, peers=False)
    blob = artifact.build(trained)
    artifact.write(
        folder, blob, artifact.card(trained, blob, data_root=declarations.data_root(split.train), source=str(data))
    )
    return RiskModel.load(folder), "the Korea Customs Service declarations" if real else "a synthetic sample"


def tuna_declaration(model: RiskModel, ids: RunIds, day: str) -> dict[str, str]:
    """The import declaration of the tuna container at Rotterdam: canned in Thailand, shipped from Singapore,
    its value declared at a fifth of what tuna from Thailand is declared at (the model's own norm)."""
    import math

    norm = model.featurizer.norm("160414", "TH")
    mass = 18_000.0
    price = round(math.expm1(math.log1p(mass) + norm + math.log(0.2)), 2)
    return {
        "Declaration ID": f"NLRTM-{ids.tag}-TUNA",
        "Date": day,
        "Office ID": "30",
        "Process Type": "B",
        "Import Type": "11",
        "Import Use": "21",
        "Payment Type": "11",
        "Mode of Transport": "10",
        "Declarant ID": "NLDECL01",
        "Importer ID": "VERSMARKT",
        "Seller ID": "SIAMCANNERY",
        "Courier ID": "",
        "HS6 Code": "160414",
        "Country of Departure": "SG",
        "Country of Origin": "TH",
        "Tax Rate": "20.0",
        "Tax Type": "A",
        "Country of Origin Indicator": "Y",
        "Net Mass": f"{mass:.1f}",
        "Item Price": f"{price:.2f}",
    }


def risk_chapter(report: Report, admin: Client, as_role: Any, orgs: dict[str, int], ids: RunIds) -> dict[str, Any]:
    """Dutch customs at Rotterdam score the tuna container's declaration with a model the Belgian regulator
    approved; the decision and its reasons are anchored, an officer reviews it, the inspection outcome follows and
    an auditor replays the decision from its file, the model store and the chain alone."""
    import pandas as pd

    lines = report.chapter("8. AI risk at Rotterdam customs: scored, explained, reviewed, inspected, replayed")
    customs, regulator = as_role("customs"), as_role("regulator")
    model, source = demo_model()
    store = ModelStore()
    store.put(model.data, model.card)
    record = customs.risk.model(model.id, orgs["customs"])
    if not record.exists:
        from tradechain.risk import artifact

        customs.risk.propose_model(model.id, artifact.card_hash(model.card or {}), orgs["regulator"])
    if not customs.risk.model(model.id, orgs["customs"]).approved_at:
        regulator.risk.approve_model(model.id, orgs["customs"])
    report.say(
        lines,
        f"model {model.id_hex[:18]}... (trained on {source}) proposed by {NAMES['customs']}, "
        f"approved by {NAMES['regulator']}",
    )
    day = datetime.fromtimestamp(admin.chain_time(), UTC).strftime("%Y-%m-%d")
    tuna = tuna_declaration(model, ids, day)
    others = declarations.sample(49, seed=ids.n, start=day, days=1).drop(columns=list(declarations.LABELS))
    others["Declaration ID"] = [f"NLRTM-{ids.tag}-{i:03d}" for i in range(len(others))]
    frame = pd.concat([pd.DataFrame([tuna]), others], ignore_index=True)
    threshold = scoring.threshold_ppm(model, None)
    done = scoring.anchor(customs, model, frame, threshold=threshold, proposer=orgs["customs"])
    batch = done.batch
    first = batch.decisions[0]
    gas = done.receipt.gas_used if done.receipt else 0
    report.say(
        lines,
        f"{len(batch.decisions)} declarations scored and anchored as one batch (gas {gas:,}, "
        f"{gas // len(batch.decisions):,} per decision); {scoring.summary(batch)['inspect']} to inspect",
    )
    from tradechain.risk.explain import reasons_line

    verdict = "INSPECT" if first.decision == 2 else "RELEASE"
    report.say(lines, f"the tuna container {tuna['Declaration ID']}: score {first.score / 1e6:.3f}, {verdict}")
    report.say(lines, f"  because: {reasons_line(first.explanation)}")
    assert batch.folder is not None
    decision_file = batch.folder / json.loads((batch.folder / "batch.json").read_text())["files"][0]
    data = json.loads(decision_file.read_text())
    root, org, _, proof = risk_audit.batch_fields(data)
    onchain = first.onchain
    review = "confirmed" if first.decision == 2 else "overridden"
    why = "value check" if review == "confirmed" else "under-valued vs HS6 norm"
    customs.risk.review_decision(root, org, onchain, proof, "inspect", why)
    customs.risk.record_outcome(root, org, onchain, proof, "fraud")
    did = "confirmed the model's INSPECT" if review == "confirmed" else "overrode the model: INSPECT"
    report.say(lines, f"the officer {did} ({why}); the inspection found the value under-declared: fraud")
    replay = risk_audit.audit(data, store, admin)
    tampered = json.loads(decision_file.read_text())
    tampered["declaration"]["Item Price"] = f"{float(tuna['Item Price']) * 5:.2f}"
    forged = risk_audit.audit(tampered, store, admin)
    stats = admin.risk.model(model.id, orgs["customs"])
    report.say(lines, f"an auditor replays it from {decision_file.name}: {replay.verdict}")
    report.say(
        lines,
        f"a copy with the declared price raised: {forged.verdict} ({', '.join(c.name for c in forged.mismatches)})",
    )
    precision = f"{stats.precision:.0%}" if stats.precision is not None else "none yet"
    report.say(
        lines,
        f"on chain, from the model's own decisions: {stats.decisions:,} decisions; of those it sent to inspection "
        f"{stats.inspected_outcomes} have an outcome (precision {precision}); of those it released, "
        f"{stats.released_outcomes} were inspected anyway and {stats.released_fraud} held fraud (its misses); "
        f"{stats.overrides} override(s)",
    )
    return {
        "modelId": model.id_hex,
        "decision": verdict,
        "review": review,
        "audit": replay.verdict,
        "tampered": [c.name for c in forged.mismatches],
        "decisions": len(batch.decisions),
        "file": str(decision_file),
    }


def demo_party(admin: Client, seed: str, name: str, lei: str, country: str, roles: str) -> tuple[Client, int]:
    """A member of the demo outside the dev accounts: its key derived from ``seed``, given gas money, admitted once
    (by the first run), with a profile that names it."""
    account = Account.from_key(keccak(f"tradechain demo {seed}".encode()))
    admin.require_signer().send(Call(account.address, b"", value=10**19, gas=21_000))  # gas money
    org, _ = admin.participants.organisation_of(account.address)
    profile = {"name": name, "country": country}
    if org == 0:
        result = admin.participants.admit(
            lei=lei_with_check_digits(lei),
            country=country,
            roles=roles,
            manager=account.address,
            profile_hash=profiles.profile_hash(profile),
        )
        org = result.organisation
    with contextlib.suppress(InputError):
        admin.participants.store_profile(org, profile)
    return Client(admin.w3, account, deployment=admin.deployment), org


def ebl_chapter(report: Report, admin: Client, as_role: Any, orgs: dict[str, int], ids: RunIds) -> dict[str, Any]:
    """An eBL from Shenzhen to Mombasa: the exporter's bank holds the title until the importer's bank pays, in one
    transaction; the importer surrenders it to the carrier at Mombasa for the goods."""
    lines = report.chapter("9. An eBL from Shenzhen to Mombasa: title against payment, in one transaction")
    exporter, exporter_org = demo_party(
        admin, "exporter", "Shenzhen Precision Machinery Co.", "300300SHENZHENPM01", "CN", "manufacturer"
    )
    cn_bank, cn_bank_org = demo_party(admin, "bank CN", "Bank of Shenzhen", "300300BANKSHENZH01", "CN", "financier")
    ke_bank, ke_bank_org = demo_party(admin, "bank KE", "Kenya Trade Bank", "5493KETRADEBANK001", "KE", "financier")
    importer = as_role("financier2")  # Mombasa Importers Ltd, of chapter 6
    carrier = as_role("carrier")
    addr = {
        "exporter": exporter.require_signer().address,
        "cn_bank": cn_bank.require_signer().address,
        "ke_bank": ke_bank.require_signer().address,
        "importer": importer.require_signer().address,
    }
    reference = f"COSU{ids.n:06d}"
    folder = project.state_home() / "demo-documents" / f"ebl-{reference}"
    folder.mkdir(parents=True, exist_ok=True)
    document = folder / "transport-document.json"
    document.write_text(json.dumps(transport_document(reference), indent=2) + "\n")
    carrier.documents.anchor([document], "bill-of-lading", reference)
    title_id, issued = carrier.titles.issue(document, addr["exporter"], addr["exporter"])
    title = hex_title(title_id)
    report.say(
        lines,
        f"the carrier issues eBL {title[:12]}… of its DCSA 3.0 transport document {reference} (Yantian to Mombasa, "
        f"2 x CNC lathe) to the exporter (gas {issued.gas_used:,})",
    )
    exporter.titles.transfer_owners(title_id, addr["cn_bank"], addr["cn_bank"], "documentary collection, D/P")
    report.say(lines, "the exporter endorses it and passes it to its bank, Bank of Shenzhen, to hold against payment")
    usdc = admin.contract("MockUSDC")
    admin.send(usdc, "mint", addr["ke_bank"], 1_250_000 * 10**6)
    deadline = int(admin.w3.eth.get_block("latest")["timestamp"]) + 21 * 86_400
    terms = DvPTerms(
        addr["cn_bank"], addr["importer"], addr["ke_bank"], usdc.address, 1_250_000 * 10**6, deadline, title_id
    )
    sid, opened = ke_bank.dvp.open(terms)
    funded = ke_bank.dvp.fund(terms)
    delivered = cn_bank.dvp.deliver(terms)
    report.say(
        lines,
        f"Kenya Trade Bank opens settlement {sid[:12]}… and pays 1,250,000 USDC in; Bank of Shenzhen puts the eBL in",
    )
    try:
        ke_bank.dvp.refund(terms)
    except ContractRevert as exc:
        report.say(
            lines, f"the importer's bank tries to take its money back before the deadline: refused ({exc.error_name})"
        )
    before = int(usdc.functions.balanceOf(addr["cn_bank"]).call())
    settled = importer.dvp.settle(terms)
    paid = int(usdc.functions.balanceOf(addr["cn_bank"]).call()) - before
    after = importer.titles.get(title_id)
    report.say(
        lines,
        f"settled in one transaction (gas {settled.gas_used:,}): Bank of Shenzhen paid {paid // 10**6:,} USDC, "
        f"Mombasa Importers Ltd holder and beneficiary: {after.holder == addr['importer'] == after.beneficiary}",
    )
    importer.titles.surrender(title_id, remark="surrendered at Mombasa for delivery")
    carrier.titles.accept_surrender(title_id, remark="released at Kilindini berth 11")
    final = importer.titles.get(title_id)
    events = importer.titles.events(title_id)
    report.say(
        lines,
        f"the importer surrenders it to the carrier at Mombasa; the carrier accepts and releases the lathes: "
        f"{final.status.name} ({len(events)} events on chain)",
    )
    export = ebl_history.dcsa_export(importer, title_id, json.loads(document.read_text()))
    exported = folder / "dcsa-export.json"
    exported.write_text(json.dumps(export, indent=2) + "\n")
    try:
        validated: list[str] | None = ebl_history.validate_export(export)
        report.say(
            lines,
            f"its history as DCSA eBL 3.0 (PINT envelope, surrender request and answer), {len(validated)} parts valid "
            f"against DCSA's schemas: {exported}",
        )
    except dcsa_schemas.SchemasMissing:
        validated = None
        report.say(lines, f"its history as DCSA eBL 3.0 structures: {exported} (DCSA's schemas are not here to check)")
    return {
        "title": title,
        "settlement": sid,
        "paid": paid,
        "holderIsImporter": after.holder == addr["importer"] and after.beneficiary == addr["importer"],
        "status": final.status.name,
        "events": [e.name for e in events],
        "gas": {
            "issue": issued.gas_used,
            "open": opened.gas_used,
            "fund": funded.gas_used,
            "deliver": delivered.gas_used,
            "settle": settled.gas_used,
        },
        "orgs": {"exporter": exporter_org, "cnBank": cn_bank_org, "keBank": ke_bank_org},
        "dcsa": validated,
    }


def transport_document(reference: str) -> dict[str, Any]:
    """The chapter's transport document: a DCSA 3.0 ``TransportDocument``, negotiable (to order), from Yantian to
    Mombasa."""
    return sample_transport_document(reference=reference, shipper_lei=lei_with_check_digits("300300SHENZHENPM01"))


def portal_chapter(report: Report, admin: Client, as_role: Any, links: dict[str, Any]) -> dict[str, Any]:
    """Last: the public portal starts (or the running one is kept), the medicine maker publishes its serial lists
    and the brand its watches' descriptions to it, and the links of the stories are printed and written to
    ``<state home>/demo-links.json``. ``$TRADECHAIN_PORTAL_PORT`` moves it from 8700."""
    port = int(os.environ.get("TRADECHAIN_PORTAL_PORT", server.DEFAULT_PORT))
    args = ["--port", str(port), "--rpc-url", admin.rpc_url]
    endpoint = server.start_detached(args, server.DEFAULT_HOST, port)
    maker = as_role("seller")
    published = [remote.publish_serials(endpoint.url, maker, batch) for batch in links["batches"]]
    remote.publish_metadata(endpoint.url, links["metadata"])
    urls = {name: endpoint.url + path for name, path in {**links["packs"], **links["certificates"]}.items()}
    path = project.state_home() / "demo-links.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(urls, indent=2) + "\n")
    os.replace(tmp, path)
    lines = report.chapter(f"10. The public portal at {endpoint.url}: scan a pack or open a link")
    report.say(lines, f"the maker published {len(published)} serial lists, the brand its watches' descriptions")
    width = max(len(n) for n in urls)
    for name, url in urls.items():
        lines.append(f"{name:{width}}  {url}")
        console.print(f"  {name:{width}}  {url}", soft_wrap=True)  # a link is never broken across lines
    report.say(lines, f"(written to {path}; `tradechain serve --stop` stops the portal, pid {endpoint.pid})")
    return {"url": endpoint.url, "links": urls, "published": [p["batch"] for p in published], "file": path}


def main() -> dict[str, Any]:
    admin = script_client("admin")
    report = Report()
    suite = reuse_or_deploy(admin)
    deployment = suite.deployment
    ids = RunIds(run_number(admin))
    console.print(f"[bold]tradechain demo[/] on chain {admin.chain_id} at {admin.rpc_url}, run {ids.n} on this suite:")
    console.print(f"  {suite.describe()}")
    for name, c in deployment.contracts.items():
        console.print(f"  {name:22} {c.address}")

    def as_role(role: str) -> Client:
        return Client(admin.w3, accounts.dev_account(role), deployment=deployment)

    orgs, rotated = consortium_chapter(report, admin, as_role, ids)
    index_path = project.state_home() / f"demo-index-{admin.chain_id}.db"
    for stale in index_path.parent.glob(index_path.name + "*"):
        stale.unlink()
    index_path.parent.mkdir(parents=True, exist_ok=True)
    index = Store(index_path)
    tuna = tuna_chapter(report, admin, as_role, orgs, index, ids)
    links: dict[str, Any] = {}
    medicine = medicine_chapter(report, admin, as_role, orgs, ids, links)
    watches = watch_chapter(report, admin, as_role, orgs, ids, links)
    trade = trade_finance_chapter(report, admin, as_role, orgs, ids)
    financing = invoice_chapter(report, admin, as_role, trade, ids)
    risk = risk_chapter(report, admin, as_role, orgs, ids)
    ebl = ebl_chapter(report, admin, as_role, orgs, ids)

    table = Table(title="Members", show_lines=False)
    for col in ("id", "LEI", "GLN", "country", "roles", "prefixes", "accounts", "status"):
        table.add_column(col)
    licensed: dict[int, list[str]] = {}
    for prefix, licensee in admin.participants.company_prefixes().items():
        licensed.setdefault(licensee, []).append(prefix)
    for org in admin.participants.organisations():
        table.add_row(
            str(org.id),
            org.lei or "-",
            org.gln or "-",
            org.country,
            ", ".join(org.roles),
            ", ".join(licensed.get(org.id, [])) or "-",
            str(org.active_accounts),
            "suspended" if org.suspended else "active",
        )
    console.print(table)
    gas = admin.transactor.gas.by_label if admin.transactor else {}
    console.print(
        "gas per operation (admin): " + ", ".join(f"{k} {sum(v) // len(v):,}" for k, v in sorted(gas.items()))
    )
    portal = portal_chapter(report, admin, as_role, links)
    console.print(
        f"[green]demo complete[/]: {admin.participants.count()} organisations on chain {admin.chain_id}. Try: "
        f"tradechain participant list, or open {portal['links']['pack_recalled']}",
        soft_wrap=True,
    )
    return {
        "deployment": deployment,
        "reused": suite.reused,
        "replaced": suite.replaced,
        "run": ids.n,
        "rotatedCarrierKey": rotated,
        "organisations": orgs,
        "prefixes": admin.participants.company_prefixes(),
        "tuna": tuna,
        "medicine": medicine,
        "watches": watches,
        "trade": trade,
        "invoices": financing,
        "risk": risk,
        "ebl": ebl,
        "portal": portal,
    }
