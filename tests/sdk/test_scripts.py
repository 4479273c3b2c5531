"""The ``brownie run`` scripts act through the SDK on Brownie's network."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tradechain.chain import accounts
from tradechain.chain.network import Network, connect
from tradechain.client import Client


@pytest.fixture
def deployments_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("TRADECHAIN_DEPLOYMENTS", str(tmp_path))
    monkeypatch.delenv("TRADECHAIN_ACCOUNT", raising=False)
    return tmp_path


def test_deploy_script_records_the_suite(deployments_dir: Path, rpc_url: str) -> None:
    from scripts.deploy import main

    deployment = main()
    record = json.loads((deployments_dir / f"{deployment.chain_id}.json").read_text())
    assert record["contracts"]["ParticipantRegistry"]["address"] == deployment.address("ParticipantRegistry")
    client = Client(connect(Network("t", rpc_url)), deployment=deployment)
    assert client.participants.count() == 0


def test_demo_scenario_tells_its_story(deployments_dir: Path, rpc_url: str) -> None:
    from scripts.demo import MEMBERS, PREFIXES, main

    result = main()
    orgs = result["organisations"]
    assert list(orgs) == [m[0] for m in MEMBERS]
    assert result["prefixes"] == {prefix: orgs[key] for key, prefix in PREFIXES}
    client = Client(connect(Network("t", rpc_url)), deployment=result["deployment"])
    carrier = client.participants.get(orgs["carrier"])
    assert carrier.suspended is False and carrier.active_accounts == 2  # rotated key, then reinstated
    assert client.participants.is_authorized(accounts.dev_account("customer").address, "carrier") is True
    # rotated out of the carrier (chapter 2), later the chamber of commerce (chapter 6)
    assert client.participants.organisation_of(accounts.dev_account("carrier2").address)[0] not in (0, orgs["carrier"])
    # the members of chapter 1, then the importer and the chamber of commerce of chapter 6
    assert [o.country for o in client.participants.organisations()] == [*(m[2] for m in MEMBERS), "KE", "CN", "DE"]
    tuna = result["tuna"]
    assert (tuna["before"], tuna["after"], tuna["recalled"]) == ("AUTHENTIC", "RECALLED", 3)
    assert tuna["holders"] == [orgs["retailer"]] and tuna["origin"] == ["TH", "ID"]
    assert result["medicine"] == ["AUTHENTIC", "DECOMMISSIONED", "UNKNOWN", "RECALLED"]
    assert result["watches"] == {"issued": 1000, "stolen": "STOLEN", "recovered": "VALID", "previousOwners": 2}
    trade = result["trade"]
    assert (trade["released"], trade["paid"], trade["dispute"]) == ("CLOSED", 1_250_000 * 10**6, "CLOSED")
    assert (trade["genuineValid"], trade["forgedValid"]) == (True, False)
    assert result["invoices"] == {
        "acknowledgedBy": True,
        "refused": "InvoiceAlreadyFinanced",
        "near": ["number"],
        "settled": "InvoiceAlreadySettled",
    }


def test_import_script_anchors_a_gs1_example_once(
    deployments_dir: Path,
    shared_dir: Path,
    tmp_path: Path,
    sdk_members: dict[str, int],
    sdk_deployment: object,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from scripts.import_epcis import main
    from tradechain.chain import deployments

    deployments.save(sdk_deployment)  # type: ignore[arg-type]
    example = shared_dir / "epcis-examples" / "Example_9.6.1-ObjectEvent.jsonld"
    first = main(str(example), account="carrier", db=str(tmp_path / "index.db"))
    again = main(str(example), account="carrier", db=str(tmp_path / "index.db"))
    assert (first.anchored, again.anchored, again.already) == (2, 0, 2)


def test_register_certificates_script_is_resumable(
    deployments_dir: Path, tmp_path: Path, sdk_members: dict[str, int], sdk_deployment: object
) -> None:
    from scripts.register_certificates import main
    from tradechain.chain import deployments

    deployments.save(sdk_deployment)  # type: ignore[arg-type]
    csv_file = tmp_path / "bags.csv"
    csv_file.write_text("serial,model\n" + "".join(f"BAG-{i},Tote\n" for i in range(30)))
    first = main(str(csv_file), account="brand")
    again = main(str(csv_file), account="brand")
    assert (len(first.issued), len(again.issued), len(again.skipped)) == (30, 0, 30)
