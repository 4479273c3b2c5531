"""The portal's page of an electronic bill of lading (``/ebl/{id}``) and its JSON twin (``/api/ebl/{id}``), end to
end over HTTP: an eBL issued by a carrier through the SDK, passed to the exporter's bank, endorsed to the importer,
pledged, surrendered and accepted; at each step the page and the JSON show the chain's status, the holder's and
the beneficiary's organisation by name, and the endorsement chain in chain order. An unknown id is a 404, a
malformed one a 400 naming the field, and an organisation's hostile name is shown escaped."""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from portal.conftest import RunningPortal
from tradechain.chain import accounts as tc_accounts
from tradechain.client import Client
from tradechain.contracts.document_registry import document_hash
from tradechain.formats import canonical

NAMES = {  # role: the name in its organisation's profile
    "carrier": "Pacific Star Lines Pte Ltd",
    "manufacturer": "Siam Lathe Works Co",  # the exporter
    "financier": "Bank of Bangkok Trade",  # the exporter's bank
    "buyer": "Lyon Machines SARL",  # the importer
    "financier2": "Hamburg Trade Finance AG",  # the importer's financier, its pledgee
}
HOSTILE = '<script>alert("eBL")</script> & <img src=x onerror=alert(1)>'
TRANSPORT_DOCUMENT = {
    "transportDocumentReference": "PSL-TD-000042",
    "transportDocumentTypeCode": "BOL",
    "isShippedOnBoardType": True,
    "isElectronic": True,
    "isToOrder": True,
    "shippingInstructionsReference": "SI-7781",
    "carrierCode": "PSLL",
    "carrierCodeListProvider": "SMDG",
    "transports": {
        "portOfLoading": {"UNLocationCode": "THLCH"},
        "portOfDischarge": {"UNLocationCode": "FRFOS"},
    },
    "consignmentItems": [{"descriptionOfGoods": ["2 x CNC lathe"], "HSCodes": ["845811"]}],
}


@dataclass
class Ebl:
    title_id: str  # 0x and 64 hex digits
    carrier: Client
    exporter: Client
    bank: Client
    importer: Client
    pledgee: Client
    orgs: dict[str, int]

    def address(self, role: str) -> str:
        return str(tc_accounts.dev_account(role).address)


def give_profile(sdk_as: Any, role: str, org: int, name: str) -> None:
    """The organisation records its profile's hash on chain and hands the profile over; the portal's machine keeps
    it (the profile store is this test's own)."""
    profile = {"name": name}
    sdk_as(role).participants.update_profile(org, canonical.json_hash(profile))
    kept = sdk_as(role).participants.store_profile(org, profile)
    assert kept.name == name and kept.status == "verified"


def issue_ebl(sdk_as: Any, sdk_members: dict[str, int], tmp_path: Path, names: dict[str, str]) -> Ebl:
    """The carrier anchors a DCSA transport document as a bill of lading and issues its eBL to the exporter, as
    holder and beneficiary; every party's organisation has a profile named ``names``."""
    for role, name in names.items():
        give_profile(sdk_as, role, sdk_members[role], name)
    carrier = sdk_as("carrier")
    document = tmp_path / "transport-document.json"
    document.write_text(json.dumps(TRANSPORT_DOCUMENT, indent=2))
    carrier.documents.anchor([document], "bill-of-lading", "PSL-TD-000042")
    exporter_address = str(tc_accounts.dev_account("manufacturer").address)
    title_id, receipt = carrier.titles.issue(document, exporter_address, exporter_address)
    assert receipt.status == 1
    return Ebl(
        f"0x{title_id:064x}",
        carrier,
        sdk_as("manufacturer"),
        sdk_as("financier"),
        sdk_as("buyer"),
        sdk_as("financier2"),
        sdk_members,
    )


@pytest.fixture
def profiles_here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "profiles"
    monkeypatch.setenv("TRADECHAIN_PROFILES", str(folder))
    return folder


def load(portal: RunningPortal, ebl: str) -> tuple[dict[str, Any], str]:
    """The eBL's JSON (from /api/ebl/ID, the same as /ebl/ID asked for JSON) and its page's HTML."""
    api = portal.get(f"/api/ebl/{ebl}")
    assert api.status_code == 200 and api.headers["content-type"] == "application/json", api.text[:400]
    twin = portal.get(f"/ebl/{ebl}", headers={"Accept": "application/json"})
    assert twin.status_code == 200 and twin.json() == api.json()
    page = portal.get(f"/ebl/{ebl}", headers={"Accept": "text/html"})
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    return api.json(), page.text


def field(page: str, element_id: str) -> str:
    """The text of the element with ``element_id`` on the page (markup removed, entities decoded)."""
    found = re.search(rf'id="{element_id}">(.*?)</(dd|code|strong)>', page, re.S)
    assert found is not None, f"no #{element_id} on the page"
    return html.unescape(re.sub(r"<[^>]+>", "", found.group(1)))


def chain_rows(page: str) -> list[tuple[str, str, str]]:
    """The endorsement chain's rows as the page shows them: (time, event, text)."""
    body = page.split('id="chain"', 1)[1].split("</table>", 1)[0]
    rows = re.findall(
        r'<tr class="event"><td>\d+</td><td><time datetime="[^"]+">([^<]+)</time></td><td><code>(\w+)</code></td>'
        r"<td>(.*?)</td>",
        body,
    )
    return [(at, event, html.unescape(text)) for at, event, text in rows]


def test_the_page_follows_an_ebl_from_issue_through_endorsement_to_an_accepted_surrender(
    portal: RunningPortal, sdk_as: Any, sdk_members: dict[str, int], tmp_path: Path, profiles_here: Path
) -> None:
    ebl = issue_ebl(sdk_as, sdk_members, tmp_path, NAMES)
    orgs = ebl.orgs
    exporter, bank, importer = ebl.address("manufacturer"), ebl.address("financier"), ebl.address("buyer")
    named = {role: f"{NAMES[role]} (org {orgs[role]})" for role in NAMES}

    issued, page = load(portal, ebl.title_id)
    assert (issued["ebl"], issued["verdict"], issued["status"]) == (ebl.title_id, "VALID", "ISSUED")
    assert issued["issuer"] == orgs["carrier"] and issued["issuerName"] == named["carrier"]
    assert issued["holderParty"] == {
        "address": exporter,
        "organisation": orgs["manufacturer"],
        "name": f"{named['manufacturer']} ({exporter})",
    }
    assert issued["beneficiaryParty"] == issued["holderParty"]
    assert issued["nomineeParty"] is None and issued["pledgeeName"] is None and issued["frozen"] is False
    assert issued["surrender"] == {
        "state": "none",
        "for": None,
        "requestedAt": None,
        "decidedAt": None,
        "text": "not surrendered",
    }
    assert issued["history"][0]["event"] == "TitleIssued"
    anchored = "0x" + document_hash(tmp_path / "transport-document.json").hex()
    assert issued["documentHash"] == issued["history"][0]["args"]["documentHash"] == anchored
    assert field(page, "document") == anchored and f'<a href="{portal.url}/document">' in page
    assert issued["bundle"]["function"] == "getTitle(uint256)" and issued["bundle"]["verdict"] == "VALID"
    assert field(page, "verdict") == "VALID" and field(page, "status") == "ISSUED"
    assert field(page, "issuer") == named["carrier"]
    assert field(page, "holder") == field(page, "beneficiary") == f"{named['manufacturer']} ({exporter})"
    assert field(page, "surrender") == "not surrendered" and field(page, "pledge") == "not pledged"
    assert f'<a href="{portal.url}/api/ebl/{ebl.title_id}">' in page  # the JSON and its proof bundle

    # the exporter hands it to its bank; names the importer next beneficiary; the bank endorses and delivers it
    tid = int(ebl.title_id, 16)
    ebl.exporter.titles.transfer_holder(tid, bank, remark="documents against payment")
    ebl.exporter.titles.nominate(tid, importer)
    held, page = load(portal, ebl.title_id)
    assert held["holderParty"]["name"] == f"{named['financier']} ({bank})"
    assert held["beneficiaryParty"]["name"] == f"{named['manufacturer']} ({exporter})"
    assert held["nomineeParty"] == {
        "address": importer,
        "organisation": orgs["buyer"],
        "name": f"{named['buyer']} ({importer})",
    }
    assert field(page, "holder") == f"{named['financier']} ({bank})"
    assert field(page, "nominee").startswith(f"{named['buyer']} ({importer})")
    ebl.bank.titles.transfer_beneficiary(tid, importer)
    ebl.bank.titles.transfer_holder(tid, importer)
    ebl.importer.titles.pledge(tid, orgs["financier2"])
    pledged, page = load(portal, ebl.title_id)
    assert pledged["holderParty"]["name"] == pledged["beneficiaryParty"]["name"] == f"{named['buyer']} ({importer})"
    assert pledged["pledgee"] == orgs["financier2"] and pledged["pledgeeName"] == named["financier2"]
    assert field(page, "pledge") == f"pledged to {named['financier2']}: it cannot move until released"
    assert pledged["verdict"] == "VALID" and pledged["nomineeParty"] is None  # an endorsement spends the nomination

    ebl.pledgee.titles.release_pledge(tid)
    ebl.carrier.titles.set_frozen(tid, True, "Tribunal de commerce de Marseille, order 2026/118")
    frozen, page = load(portal, ebl.title_id)
    assert (frozen["verdict"], frozen["status"], frozen["frozen"]) == ("FROZEN", "ISSUED", True)
    assert field(page, "verdict") == "FROZEN" and field(page, "frozen").startswith("yes, on a court order")
    ebl.carrier.titles.set_frozen(tid, False, "Tribunal de commerce de Marseille, order 2026/118")
    ebl.importer.titles.surrender(tid, remark="for delivery at Fos-sur-Mer")
    pending, page = load(portal, ebl.title_id)
    assert (pending["verdict"], pending["status"]) == ("VALID", "PENDING_SURRENDER_FOR_DELIVERY")
    assert pending["surrender"]["state"] == "requested" and pending["surrender"]["for"] == "delivery"
    assert pending["surrender"]["requestedAt"] == pending["history"][-2]["at"]  # SurrenderRequested, then Remarked
    assert "yet to accept" in pending["meaning"] and field(page, "status") == "PENDING_SURRENDER_FOR_DELIVERY"
    assert field(page, "surrender").startswith("surrendered for delivery: awaiting the carrier's acceptance")

    ebl.carrier.titles.accept_surrender(tid, remark="released at the terminal")
    spent, page = load(portal, ebl.title_id)
    assert (spent["verdict"], spent["status"]) == ("VOID", "SURRENDERED_FOR_DELIVERY")
    assert spent["holder"] is None and spent["holderParty"] is None
    assert spent["beneficiaryParty"]["name"] == f"{named['buyer']} ({importer})"
    assert spent["surrender"]["state"] == "accepted" and spent["surrender"]["decidedAt"] is not None
    assert field(page, "verdict") == "VOID" and field(page, "status") == "SURRENDERED_FOR_DELIVERY"
    assert "its carrier accepted its surrender for delivery" in spent["meaning"]
    assert field(page, "holder") == "nobody (surrendered to its carrier)"
    assert field(page, "surrender").startswith("surrendered for delivery and accepted by the carrier")
    assert 'class="verdict bad"' in page

    # the endorsement chain: every event in chain order, dated, each party named by its organisation
    events = [e["event"] for e in spent["history"]]
    assert events == [
        "TitleIssued",
        "Transfer",  # minted to the exporter
        "Transfer",  # to the exporter's bank
        "Remarked",
        "BeneficiaryNominated",
        "BeneficiaryTransferred",
        "Transfer",  # the bank to the importer
        "TitlePledgedTo",
        "PledgeReleased",
        "TitleFreezeChanged",  # frozen on the court order
        "TitleFreezeChanged",  # and lifted
        "SurrenderRequested",
        "Remarked",
        "SurrenderAccepted",
        "Transfer",  # to nobody: the title is spent
        "Remarked",
    ], events
    order = [(e["block"], e["timestamp"]) for e in spent["history"]]
    assert order == sorted(order)
    texts = [e["text"] for e in spent["history"]]
    assert texts[0] == (
        f"issued by {named['carrier']} to holder {named['manufacturer']} ({exporter}), "
        f"beneficiary {named['manufacturer']} ({exporter})"
    )
    assert texts[2] == f"holder: {named['manufacturer']} ({exporter}) -> {named['financier']} ({bank})"
    assert texts[5] == f"endorsed: beneficiary {named['manufacturer']} ({exporter}) -> {named['buyer']} ({importer})"
    assert texts[7] == f"pledged to {named['financier2']}"
    assert texts[9].startswith("frozen on court order 0x") and texts[10].startswith("unfrozen on court order 0x")
    assert texts[14] == f"no holder any more (was {named['buyer']} ({importer}))"
    assert chain_rows(page) == [(e["at"], e["event"], e["text"]) for e in spent["history"]]
    shown = page.split('<section id="proof">', 1)[0]  # the proof bundle beneath quotes the call as it was made
    for role in ("manufacturer", "financier", "buyer", "carrier"):  # no address shown without its organisation
        address = ebl.address(role)
        assert spent["parties"][address] == {
            "address": address,
            "organisation": orgs[role],
            "name": f"{named[role]} ({address})",
        }
        assert shown.count(address) == shown.count(f"{named[role]} ({address})") > 0, role
    assert spent["bundle"]["result"][1] == 4 and spent["bundle"]["blockHash"].startswith("0x")


def test_an_unknown_ebl_is_a_404_a_malformed_id_a_400_naming_the_field_and_the_lookup_takes_an_ebl_id(
    portal: RunningPortal, sdk_as: Any, sdk_members: dict[str, int], tmp_path: Path, profiles_here: Path
) -> None:
    unknown = "0x" + "ab" * 32
    for path in (f"/api/ebl/{unknown}", f"/ebl/{unknown}"):
        missing = portal.get(path)
        assert missing.status_code == 404 and missing.headers["content-type"].startswith("application/problem+json")
        body = missing.json()
        assert body["detail"] == "ebl: no eBL with this id on this chain" and body["field"] == "ebl"
        assert body["verdict"] == "UNKNOWN" and body["ebl"] == unknown and body["bundle"]["result"][1] == 0
    page = portal.get(f"/ebl/{unknown}", headers={"Accept": "text/html"})
    assert page.status_code == 404 and field(page.text, "verdict") == "UNKNOWN"
    assert "No carrier issued an electronic bill of lading with this id" in page.text
    for bad in ("0x12", "0x" + "g" * 64, "0x_" + "a" * 63, "0x" + "٣" * 64, "1234", "0x" + "a" * 65):
        for path in (f"/api/ebl/{bad}", f"/ebl/{bad}"):
            refused = portal.get(path)
            assert refused.status_code == 400, (path, refused.status_code, refused.text[:300])
            detail = refused.json()["detail"]
            assert detail == "ebl: a title id is 0x followed by 64 hex digits" and "\n" not in detail
        as_page = portal.get(f"/ebl/{bad}", headers={"Accept": "text/html"})
        assert as_page.status_code == 400 and "ebl: a title id is 0x followed by 64 hex digits" in as_page.text

    # the home page's box takes an eBL id (a phone may capitalise its x) and sends it to the eBL's page
    ebl = issue_ebl(sdk_as, sdk_members, tmp_path, {"carrier": NAMES["carrier"]})
    for typed in (ebl.title_id, " 0X" + ebl.title_id[2:].upper() + " "):
        found = portal.get("/lookup", params={"code": typed})
        assert found.status_code == 303 and found.headers["location"] == f"{portal.url}/ebl/{ebl.title_id}"
    assert portal.get(found.headers["location"][len(portal.url) :]).json()["verdict"] == "VALID"
    typo = portal.get("/lookup", params={"code": "0x1234"})
    assert typo.status_code == 400 and typo.json()["detail"] == "code: a title id is 0x followed by 64 hex digits"
    assert "An electronic bill of lading (eBL)? Type its id" in portal.get("/", headers={"Accept": "text/html"}).text
    gs1 = portal.get("/lookup", params={"code": "(01)09506000134352(10)ABC123"})
    assert gs1.status_code == 303 and "/verify/01/09506000134352/10/ABC123" in gs1.headers["location"]

    described = portal.get("/openapi.json").json()["paths"]
    for path in ("/ebl/{ebl_id}", "/api/ebl/{ebl_id}"):
        (parameter,) = described[path]["get"]["parameters"]
        assert parameter["schema"]["pattern"] == "^0x[0-9a-fA-F]{64}$"
        assert {"200", "400", "404", "503"} <= set(described[path]["get"]["responses"])


def test_a_hostile_organisation_name_is_shown_escaped_on_the_ebl_page(
    portal: RunningPortal, sdk_as: Any, sdk_members: dict[str, int], tmp_path: Path, profiles_here: Path
) -> None:
    ebl = issue_ebl(sdk_as, sdk_members, tmp_path, {**NAMES, "buyer": HOSTILE})
    importer = ebl.address("buyer")
    ebl.exporter.titles.transfer_owners(int(ebl.title_id, 16), importer, importer)
    data, page = load(portal, ebl.title_id)
    assert data["holderParty"]["name"] == f"{HOSTILE} (org {ebl.orgs['buyer']}) ({importer})"  # JSON: as given
    assert "<script" not in page and "<img" not in page and "onerror=alert(1)>" not in page
    escaped = "&lt;script&gt;alert(&#34;eBL&#34;)&lt;/script&gt; &amp; &lt;img src=x onerror=alert(1)&gt;"
    assert f"{escaped} (org {ebl.orgs['buyer']}) ({importer})" in page
    assert field(page, "holder") == f"{HOSTILE} (org {ebl.orgs['buyer']}) ({importer})"
    assert chain_rows(page)[-1][2].endswith(f"-> {HOSTILE} (org {ebl.orgs['buyer']}) ({importer})")
