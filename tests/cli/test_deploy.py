"""`tradechain deploy`: a working deployment is reused, --force deploys again; issue 14: an earlier record is never
overwritten (kept as deployments/<chainId>.<block>.json, and the output says where)."""

from __future__ import annotations

import json
from pathlib import Path

from helpers import run

from tradechain.chain import deployments
from tradechain.chain.deployments import Deployment


def test_deploy_reuses_a_working_deployment(cli_env: Path) -> None:
    result = json.loads(run("deploy", "--json").output)
    assert result["reused"] is True
    forced = json.loads(run("deploy", "--force", "--json").output)
    assert forced["reused"] is False
    assert (
        forced["contracts"]["ParticipantRegistry"]["address"] != result["contracts"]["ParticipantRegistry"]["address"]
    )


# ---------------------------------------------------------------------------------------------- issue 14


def _record(cli_env: Path) -> Path:
    return cli_env / "deployments" / "31337.json"


def test_deploy_force_keeps_the_earlier_record_and_says_where(cli_env: Path) -> None:
    earlier = _record(cli_env).read_text()
    kept = cli_env / "deployments" / f"31337.{json.loads(earlier)['block']}.json"
    result = run("deploy", "--force")
    assert result.exit_code == 0, result.stderr
    assert result.output.endswith(f"the earlier record is kept as {kept}\n")
    assert kept.read_text() == earlier and _record(cli_env).read_text() != earlier
    again = run("deploy", "--force", "--json")  # a third suite: the second record is kept too, under its block
    second = json.loads(again.output)["replaced"]
    assert second != str(kept) and Path(second).name.startswith("31337.") and kept.read_text() == earlier


def test_deploy_on_a_reset_node_deploys_anew_and_keeps_the_record_that_no_longer_holds(cli_env: Path) -> None:
    data = json.loads(_record(cli_env).read_text())
    data["contracts"]["ParticipantRegistry"]["address"] = "0x" + "ab" * 20  # no code there, as after a reset
    _record(cli_env).write_text(json.dumps(data))
    result = run("deploy")
    assert result.exit_code == 0, result.stderr
    why = "ParticipantRegistry: no code at the recorded address (was the node reset?)"
    assert f"(the recorded suite could not be reused: {why})" in result.output
    kept = cli_env / "deployments" / f"31337.{data['block']}.json"
    assert f"the earlier record is kept as {kept}" in result.output and json.loads(kept.read_text()) == data


def test_deploy_reuses_a_suite_of_another_build_and_says_so(cli_env: Path) -> None:
    data = json.loads(_record(cli_env).read_text())
    data["contracts"]["TradeEscrow"]["buildHash"] = "0x" + "00" * 32
    _record(cli_env).write_text(json.dumps(data))
    result = json.loads(run("deploy", "--json").output)
    assert result["reused"] is True
    assert result["notes"] == ["TradeEscrow: deployed from another build (the contracts changed since)"]
    text = run("deploy").output
    assert text.endswith(
        "note: TradeEscrow: deployed from another build (the contracts changed since); --force deploys this build\n"
    )
    assert sorted(p.name for p in (cli_env / "deployments").iterdir()) == ["31337.json"]


def test_a_suite_replayed_at_the_same_addresses_still_keeps_the_earlier_record(
    cli_env: Path, sdk_deployment: Deployment
) -> None:
    """A reset node replays the same deployment (same deployer, same nonces: the same addresses); the record of the
    earlier chain is another record all the same, and is kept. The same record written again is not copied."""
    data = json.loads(_record(cli_env).read_text())
    earlier = {**data, "deployedAt": "2020-01-01T00:00:00+00:00"}
    _record(cli_env).write_text(json.dumps(earlier))
    deployments.save(sdk_deployment)
    kept = cli_env / "deployments" / f"31337.{data['block']}.json"
    assert sdk_deployment.replaced == kept and json.loads(kept.read_text()) == earlier
    deployments.save(sdk_deployment)
    assert sdk_deployment.replaced is None
    assert sorted(p.name for p in (cli_env / "deployments").iterdir()) == sorted(["31337.json", kept.name])
