"""The offline toolchain: the solc-js bridge registered where py-solc-x looks, the native Anvil, the pins."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
import solcx

from tradechain import project, toolchain

ROOT = project.root()


def _standard_input(*files: str, everything: bool = True) -> dict[str, object]:
    outputs = ["abi", "evm.bytecode", "evm.deployedBytecode", "devdoc", "userdoc"] if everything else ["abi"]
    return {
        "language": "Solidity",
        "sources": {f: {"content": (ROOT / f).read_text()} for f in files},
        "settings": {
            "remappings": ["@openzeppelin=node_modules/@openzeppelin"],
            "evmVersion": project.evm_version(),
            "outputSelection": {"*": {"*": outputs, "": ["ast"] if everything else []}},
        },
    }


@pytest.fixture(scope="module")
def fresh_solcx(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A py-solc-x folder with nothing in it, the bridge registered there (native download disabled)."""
    folder = tmp_path_factory.mktemp("solcx")
    mp = pytest.MonkeyPatch()
    mp.setenv("SOLCX_BINARY_PATH", str(folder))
    mp.setenv("TRADECHAIN_NO_NATIVE_SOLC", "1")
    path, kind = toolchain.register_solc(ROOT)
    assert kind == "solc-js bridge" and path == folder / f"solc-v{project.solc_version()}"
    yield folder
    mp.undo()


def test_bridge_answers_version_like_native_solc(fresh_solcx: Path) -> None:
    out = subprocess.run(
        [str(fresh_solcx / "solc-v0.8.30"), "--version"], capture_output=True, text=True, check=True
    ).stdout
    assert re.search(r"^Version: 0\.8\.30\+commit\.[0-9a-f]{8}", out, re.M)


def test_py_solc_x_finds_and_uses_the_registered_bridge(
    fresh_solcx: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SOLCX_BINARY_PATH", str(fresh_solcx))
    assert str(solcx.get_installed_solc_versions()[0]) == "0.8.30"
    out = solcx.compile_standard(
        _standard_input("contracts/ParticipantRegistry.sol", everything=False),
        solc_binary=fresh_solcx / "solc-v0.8.30",
        allow_paths=str(ROOT),
        base_path=ROOT,
    )
    abi = out["contracts"]["contracts/ParticipantRegistry.sol"]["ParticipantRegistry"]["abi"]
    assert {"admit", "suspend", "requireRole"} <= {x.get("name") for x in abi}


def test_bridge_output_over_64_kib_survives_a_pipe(fresh_solcx: Path) -> None:
    proc = subprocess.run(
        [str(fresh_solcx / "solc-v0.8.30"), "--standard-json", "--allow-paths", str(ROOT)],
        input=json.dumps(_standard_input("contracts/ParticipantRegistry.sol")),
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    )
    assert len(proc.stdout.encode()) > 64 * 1024  # solcjs's own CLI would cut this at 64 KiB
    out = json.loads(proc.stdout)  # and it is whole, valid JSON
    assert not [e for e in out.get("errors", []) if e["severity"] == "error"]
    assert any(k.endswith("@openzeppelin/contracts/access/AccessControl.sol") for k in out["sources"])


def test_bridge_reports_compile_errors_as_standard_json(fresh_solcx: Path, tmp_path: Path) -> None:
    broken = {
        "language": "Solidity",
        "sources": {"x.sol": {"content": "contract X { function }"}},
        "settings": {"outputSelection": {"*": {"*": ["abi"]}}},
    }
    out = json.loads(
        subprocess.run(
            [str(fresh_solcx / "solc-v0.8.30"), "--standard-json"],
            cwd=tmp_path,
            input=json.dumps(broken),
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )
    assert out["errors"][0]["severity"] == "error" and out["errors"][0]["type"] == "ParserError"


def test_registration_is_idempotent_and_follows_the_checkout(
    fresh_solcx: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOLCX_BINARY_PATH", str(fresh_solcx))
    monkeypatch.setenv("TRADECHAIN_NO_NATIVE_SOLC", "1")
    target = fresh_solcx / "solc-v0.8.30"
    target.write_text("#!/bin/sh\n# tradechain solc-js bridge: of a deleted checkout\nexit 1\n")
    toolchain.register_solc(ROOT)
    assert str(ROOT / "tools" / "solc" / "solcjs-bridge.cjs") in target.read_text()
    mtime = target.stat().st_mtime_ns
    toolchain.register_solc(ROOT)
    assert target.stat().st_mtime_ns == mtime


def test_a_native_solc_is_never_replaced(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOLCX_BINARY_PATH", str(tmp_path))
    native = tmp_path / "solc-v0.8.30"
    native.write_bytes(b"\x7fELF native solc")
    assert toolchain.register_solc(ROOT) == (native, "native")
    assert native.read_bytes() == b"\x7fELF native solc"


def test_pins_agree_across_config_package_json_and_lock() -> None:
    version = project.solc_version()
    pkg = json.loads((ROOT / "package.json").read_text())
    lock = json.loads((ROOT / "package-lock.json").read_text())
    assert pkg["devDependencies"]["solc"] == version
    assert lock["packages"]["node_modules/solc"]["version"] == version
    assert pkg["devDependencies"]["@openzeppelin/contracts"].startswith("5.")
    assert project.brownie_config()["networks"]["development"]["cmd_settings"]["evm_version"] == project.evm_version()
    pragma = {
        m for f in (ROOT / "contracts").rglob("*.sol") for m in re.findall(r"pragma solidity ([^;]+);", f.read_text())
    }
    assert pragma == {version}
    reqs = (ROOT / "requirements.lock").read_text()
    assert "eth-brownie==1.22.2" in reqs and re.search(r"^web3==7\.", reqs, re.M)


def test_native_anvil_is_linked_not_the_node_wrapper() -> None:
    cmd = toolchain.anvil_command(ROOT)
    assert Path(cmd).resolve() == toolchain.native_anvil(ROOT).resolve()  # type: ignore[union-attr]
    out = subprocess.run([cmd, "--version"], capture_output=True, text=True, check=True).stdout
    assert out.startswith("anvil Version: 1.7.1")


def test_bridge_answers_combined_json_as_slither_calls_it(fresh_solcx: Path) -> None:
    proc = subprocess.run(
        [
            str(fresh_solcx / "solc-v0.8.30"),
            "--combined-json",
            "abi,bin,bin-runtime,hashes,srcmap",
            "--allow-paths",
            ".",
            "contracts/ParticipantRegistry.sol",
            "@openzeppelin=node_modules/@openzeppelin",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    )
    out = json.loads(proc.stdout)
    ours = out["contracts"]["contracts/ParticipantRegistry.sol:ParticipantRegistry"]
    assert ours["bin"] and ours["bin-runtime"] and ours["srcmap"]
    assert "admit(bytes20,uint64,bytes2,uint16,bytes32,address)" in ours["hashes"]
    assert "contracts/ParticipantRegistry.sol" in out["sources"] and out["version"].startswith("0.8.30")
