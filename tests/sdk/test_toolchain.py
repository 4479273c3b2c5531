"""The offline toolchain: the solc-js bridge registered where py-solc-x looks, the native Anvil, the pins."""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import solcx

from tradechain.chain import project, toolchain

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


# ---------------------------------------------------------------------------------------------- issue 12, finding 11

HOSTILE_NAME = 'co $(touch pwned-a) `touch pwned-b` it\'s "q" ${HOME} \\ ;touch pwned-c\nline2 $(touch pwned-d)'


def _hostile_checkout(tmp_path: Path) -> Path:
    """A checkout whose path holds shell syntax: the bridge copied in, solc-js linked from this checkout."""
    root = tmp_path / HOSTILE_NAME / "tradechain"
    (root / "tools" / "solc").mkdir(parents=True)
    shutil.copy(ROOT / "tools" / "solc" / "solcjs-bridge.cjs", root / "tools" / "solc" / "solcjs-bridge.cjs")
    (root / "node_modules").mkdir()
    (root / "node_modules" / "solc").symlink_to((ROOT / "node_modules" / "solc").resolve())
    return root


def test_the_bridge_wrapper_never_runs_its_checkout_path_in_a_shell(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _hostile_checkout(tmp_path)
    monkeypatch.setenv("SOLCX_BINARY_PATH", str(tmp_path / "solcx"))
    monkeypatch.setenv("TRADECHAIN_NO_NATIVE_SOLC", "1")
    solc, kind = toolchain.register_solc(root)
    assert kind == "solc-js bridge"
    work = tmp_path / "work"
    work.mkdir()
    source = {
        "language": "Solidity",
        "sources": {"A.sol": {"content": "// SPDX-License-Identifier: MIT\npragma solidity 0.8.30;\ncontract A {}"}},
        "settings": {"outputSelection": {"*": {"*": ["abi"]}}},
    }
    version = subprocess.run([str(solc), "--version"], cwd=work, capture_output=True, text=True)
    out = subprocess.run(
        [str(solc), "--standard-json"], cwd=work, input=json.dumps(source), capture_output=True, text=True
    )
    assert not [p for p in tmp_path.rglob("pwned*")], "the shell ran part of the checkout path"
    assert not list(Path.cwd().glob("pwned*")) and not list(ROOT.glob("pwned*"))
    assert version.returncode == 0 and re.search(r"^Version: 0\.8\.30\+commit\.", version.stdout, re.M), version
    assert out.returncode == 0 and json.loads(out.stdout)["contracts"]["A.sol"]["A"]["abi"] == [], out.stderr
    lines = solc.read_text().splitlines(keepends=True)
    words = shlex.split("".join(lines[2:]))  # the exec line, its quoted words spanning the newline
    assert words[0] == f"TRADECHAIN_SOLCJS_MODULE={root / 'node_modules' / 'solc'}"
    assert words[1:] == ["exec", shutil.which("node"), str(root / "tools" / "solc" / "solcjs-bridge.cjs"), "$@"]


SECRET = "TOP-SECRET-NOT-SOLIDITY"


@pytest.fixture
def confined(tmp_path: Path) -> tuple[Path, Path]:
    """A project folder, and beside it (outside it) a folder with a secret and a valid library."""
    project_dir, outside = tmp_path / "project", tmp_path / "outside"
    project_dir.mkdir()
    outside.mkdir()
    (outside / "secret.sol").write_text(SECRET + "\n")
    (outside / "Lib.sol").write_text("// SPDX-License-Identifier: MIT\npragma solidity 0.8.30;\nlibrary Lib {}\n")
    return project_dir, outside


def _importing(*imports: str) -> dict[str, object]:
    lines = "".join(f'import "{i}";\n' for i in imports)
    content = f"// SPDX-License-Identifier: MIT\npragma solidity 0.8.30;\n{lines}contract A {{}}\n"
    return {"language": "Solidity", "sources": {"A.sol": {"content": content}}, "settings": {"outputSelection": {}}}


def _standard_json(solc: Path, cwd: Path, source: dict[str, object], *args: str) -> tuple[list[str], str]:
    """The error messages of a compilation, and its whole output."""
    proc = subprocess.run(
        [str(solc), "--standard-json", *args], cwd=cwd, input=json.dumps(source), capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr
    out: dict[str, Any] = json.loads(proc.stdout)
    return [e["message"] for e in out.get("errors", []) if e["severity"] == "error"], proc.stdout


@pytest.mark.parametrize(
    "target",
    [
        "/etc/passwd",
        "{outside}/secret.sol",
        "lib/../../outside/secret.sol",  # a direct import is a source unit name taken as written: ".." climbs out
        "lib/../../../{name}/outside/secret.sol",
    ],
)
def test_the_bridge_refuses_an_import_outside_its_allowed_paths(
    fresh_solcx: Path, confined: tuple[Path, Path], target: str
) -> None:
    project_dir, outside = confined
    solc = fresh_solcx / "solc-v0.8.30"
    imported = target.format(outside=outside, name=project_dir.parent.name)
    for args in ((), ("--allow-paths", str(project_dir)), ("--base-path", str(project_dir))):
        errors, raw = _standard_json(solc, project_dir, _importing(imported), *args)
        assert len(errors) == 1 and "File outside of allowed directories" in errors[0], errors
        assert SECRET not in raw and "root:" not in raw  # never read, so never quoted back in an error


def test_the_bridge_reads_an_allowed_path_and_a_configured_remapping(
    fresh_solcx: Path, confined: tuple[Path, Path]
) -> None:
    project_dir, outside = confined
    solc = fresh_solcx / "solc-v0.8.30"
    errors, raw = _standard_json(solc, project_dir, _importing(str(outside / "Lib.sol")), "--allow-paths", str(outside))
    assert not errors and f'"{outside / "Lib.sol"}"' in raw
    remapped = _importing("lib/Lib.sol")
    remapped["settings"] = {"remappings": [f"lib/={outside}/"], "outputSelection": {}}
    assert _standard_json(solc, project_dir, remapped)[0] == []
    # a remapping onto the library's folder allows that folder only: /etc stays out
    remapped = _importing("lib/Lib.sol", "/etc/passwd")
    remapped["settings"] = {"remappings": [f"lib/={outside}/"], "outputSelection": {}}
    errors, raw = _standard_json(solc, project_dir, remapped)
    assert len(errors) == 1 and "/etc/passwd" in errors[0] and "root:" not in raw


def test_the_bridge_refuses_an_outside_import_in_combined_json(fresh_solcx: Path, confined: tuple[Path, Path]) -> None:
    project_dir, outside = confined
    source = f'pragma solidity 0.8.30;\nimport "{outside / "secret.sol"}";\ncontract A {{}}\n'
    (project_dir / "A.sol").write_text(source)
    proc = subprocess.run(
        [str(fresh_solcx / "solc-v0.8.30"), "--combined-json", "abi", "--allow-paths", ".", "A.sol"],
        cwd=project_dir,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 1 and "File outside of allowed directories" in proc.stderr
    assert SECRET not in proc.stderr + proc.stdout
