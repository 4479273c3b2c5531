"""The SDK's package data of compiled contracts (``tradechain/_compiled``), exported from Brownie's build: what it
keeps, that it follows the build, and that the checkout's package data agrees with the checkout's build."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from tradechain.chain import artifacts, project, reverts
from tradechain.errors import DeploymentMissing

COMPILER = {"evm_version": "prague", "optimizer": {"enabled": True, "runs": 200}, "version": "0.8.30+commit.73712a01"}
ERROR = {"type": "error", "name": "Nope", "inputs": [{"name": "status", "type": "uint8", "internalType": "enum I.S"}]}


def _brownie_artifact(name: str, *, compiler: dict[str, Any] | None = COMPILER) -> dict[str, Any]:
    """The shape of one of Brownie's build artifacts, with the parts the SDK never reads."""
    data: dict[str, Any] = {
        "abi": [ERROR],
        "ast": {"nodes": [{"nodeType": "EnumDefinition", "canonicalName": f"{name}.S", "members": [{"name": "A"}]}]},
        "contractName": name,
        "source": "// the whole source",
        "deployedBytecode": "6080",
        "pcMap": {"0": {"op": "PUSH1"}},
    }
    if compiler is not None:
        data |= {"bytecode": "6080604052", "natspec": {"errors": {"Nope(uint8)": [{"notice": "no."}]}}}
        data["compiler"] = compiler
    return data


@pytest.fixture
def build(tmp_path: Path) -> Path:
    folder = tmp_path / "build"
    for sub, name, compiler in (
        ("contracts", "Alpha", COMPILER),
        ("contracts", "Beta", COMPILER),
        ("interfaces", "I", None),
    ):
        (folder / sub).mkdir(parents=True, exist_ok=True)
        (folder / sub / f"{name}.json").write_text(json.dumps(_brownie_artifact(name, compiler=compiler)))
    return folder


def test_export_keeps_what_the_sdk_reads_and_the_compiler_settings(build: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    changed = artifacts.export(build, out)
    assert sorted(changed) == ["contracts/Alpha.json", "contracts/Beta.json", "index.json", "interfaces/I.json"]
    alpha = json.loads((out / "contracts" / "Alpha.json").read_text())
    assert alpha == {
        "abi": [ERROR],
        "bytecode": "6080604052",
        "natspec": {"errors": {"Nope(uint8)": [{"notice": "no."}]}},
        "compiler": COMPILER,
        "enums": {"Alpha.S": ["A"]},
    }
    assert json.loads((out / "interfaces" / "I.json").read_text())["compiler"] == {}
    index = json.loads((out / "index.json").read_text())
    assert index["compiler"] == {"solc": "0.8.30", "evmVersion": "prague", "optimizer": {"enabled": True, "runs": 200}}
    assert index["contracts"] == ["Alpha", "Beta"] and index["interfaces"] == ["I"]
    assert artifacts.differences(build, out) == []


def test_a_second_export_writes_nothing_and_follows_a_removed_contract(build: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    artifacts.export(build, out)
    before = (out / "contracts" / "Alpha.json").stat().st_mtime_ns
    assert artifacts.export(build, out) == []
    assert (out / "contracts" / "Alpha.json").stat().st_mtime_ns == before
    (build / "contracts" / "Beta.json").unlink()
    assert artifacts.export(build, out) == ["index.json", "contracts/Beta.json"]
    assert not (out / "contracts" / "Beta.json").exists()
    assert json.loads((out / "index.json").read_text())["contracts"] == ["Alpha"]


def test_differences_name_a_hand_edit_a_missing_file_and_an_extra_one(build: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    artifacts.export(build, out)
    (out / "contracts" / "Alpha.json").write_text("{}")
    (out / "interfaces" / "I.json").unlink()
    (out / "contracts" / "Gone.json").write_text("{}")
    assert artifacts.differences(build, out) == [
        "contracts/Alpha.json: differs from the build",
        "interfaces/I.json: missing",
        "contracts/Gone.json: not in the build",
    ]
    assert artifacts.main(["check", "--build", str(build), "--out", str(out)]) == 1
    assert artifacts.main(["export", "--build", str(build), "--out", str(out)]) == 0
    assert artifacts.main(["check", "--build", str(build), "--out", str(out)]) == 0


def test_a_build_of_mixed_compiler_settings_or_none_is_refused(build: Path, tmp_path: Path) -> None:
    other = COMPILER | {"optimizer": {"enabled": True, "runs": 1000}}
    (build / "contracts" / "Beta.json").write_text(json.dumps(_brownie_artifact("Beta", compiler=other)))
    with pytest.raises(DeploymentMissing, match="2 different settings"):
        artifacts.export(build, tmp_path / "out")
    with pytest.raises(DeploymentMissing, match="no build artifacts"):
        artifacts.export(tmp_path / "empty", tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_package_data_is_stale_when_the_build_changes_in_any_way(build: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert artifacts._stale(build, out)  # nothing exported yet
    artifacts.export(build, out)
    assert not artifacts._stale(build, out)
    beta = build / "contracts" / "Beta.json"
    for change in (
        lambda: os.utime(beta, ns=(0, 0)),  # an older file (a clock set back, a restored build) counts too
        lambda: beta.write_text(beta.read_text() + " "),  # brownie recompiled it
        lambda: (build / "contracts" / "Gamma.json").write_text(json.dumps(_brownie_artifact("Gamma"))),
        lambda: (build / "contracts" / "Gamma.json").unlink(),
    ):
        change()
        assert artifacts._stale(build, out)
        artifacts.export(build, out)
        assert not artifacts._stale(build, out)
    assert not artifacts._stale(tmp_path / "no-build", out)  # nothing to export from: the package data stands


def test_with_no_checkout_state_and_deployments_live_in_the_users_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TRADECHAIN_HOME")
    monkeypatch.delenv("TRADECHAIN_DEPLOYMENTS", raising=False)
    checkout = project.checkout()
    assert checkout is not None  # these tests run in one
    assert project.state_home() == checkout / ".tradechain"
    assert project.deployments_dir() == checkout / "deployments"
    monkeypatch.setattr(project, "checkout", lambda: None)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert project.state_home() == tmp_path / ".tradechain"
    assert project.deployments_dir() == tmp_path / ".tradechain" / "deployments"
    monkeypatch.setenv("TRADECHAIN_HOME", str(tmp_path / "elsewhere"))
    assert project.deployments_dir() == tmp_path / "elsewhere" / "deployments"
    monkeypatch.setenv("TRADECHAIN_DEPLOYMENTS", str(tmp_path / "records"))
    assert project.deployments_dir() == tmp_path / "records"


# ------------------------------------------------------------------------------------ the checkout's own build

needs_build = pytest.mark.skipif(
    not (project.build_dir() / "contracts").is_dir(), reason="not compiled: run `make compile`"
)


@needs_build
def test_the_package_data_agrees_with_the_build() -> None:
    found = artifacts.differences(project.build_dir(), artifacts.package_dir())
    assert found == [], f"the package data disagrees with build/ ({found[:5]}): run `make compile`"


@needs_build
def test_a_deployment_records_the_compiler_settings_of_brownie_config() -> None:
    cfg = project.brownie_config()["compiler"]
    assert artifacts.compiler_settings() == {
        "solc": cfg["solc"]["version"],
        "evmVersion": cfg["evm_version"],
        "optimizer": cfg["solc"].get("optimizer", {}),
    }


@needs_build
def test_the_package_data_reads_as_the_build_does() -> None:
    build = project.build_dir()
    names = []
    for folder in artifacts.FOLDERS:
        for path in sorted((build / folder).glob("*.json")):
            names.append(path.stem)
            data, art = json.loads(path.read_text()), artifacts.load(path.stem)
            if folder == "contracts" or not (build / "contracts" / path.name).is_file():
                assert art.abi == data["abi"] and art.bytecode == data.get("bytecode", "")
                assert art.natspec == data.get("natspec", {}) and art.compiler == data.get("compiler", {})
    assert [art.name for art in artifacts.all_artifacts()] == names
    assert {"ParticipantRegistry", "InvoiceRegistry", "MockUSDC", "ITradeEscrow"} <= set(names)
    assert artifacts.enums() == reverts._enum_members()  # the enums of the ASTs, which the package data leaves out
