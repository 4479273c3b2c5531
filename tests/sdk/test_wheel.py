"""The SDK installable on its own: a wheel built from the tree installs into an empty venv (its dependencies from
PyPI, constrained by requirements.lock) and, from a folder outside any checkout, connects to an Anvil of the test's
own, deploys the suite, admits a member and reads it back, and runs the ``tradechain`` console script.

``make wheel-check`` runs this file on ``dist/``'s wheel (``$TRADECHAIN_WHEEL``); otherwise the test builds one from
the tree as ``make wheel`` does. It fails when the package data (``make compile``) is missing or stale.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers import free_port, lei

import tradechain
from tradechain.chain import accounts, artifacts, node, project, toolchain
from tradechain.suite import CONTRACTS

ROOT = project.root()
VERSION = tradechain.__version__

SMOKE = r"""
import importlib.metadata, importlib.util, json, sys
from pathlib import Path

import tradechain
from tradechain.chain import accounts, deployments, project
from tradechain.client import connect
from tradechain.errors import ContractRevert
from tradechain.suite import deploy_suite

rpc_url, member_lei = sys.argv[1:3]
client = connect(rpc_url=rpc_url, account="admin")
dep = deploy_suite(client)
org = client.participants.admit(
    lei=member_lei, country="DE", roles="brand", manager=accounts.dev_account("brand").address
).organisation
refused = {}
try:
    carrier = accounts.dev_account("carrier").address
    client.participants.admit(lei=member_lei, country="FR", roles="carrier", manager=carrier)
except ContractRevert as exc:
    refused = {"error": exc.error_name, "description": exc.description, "contract": exc.contract}
fresh = connect(rpc_url=rpc_url)  # a new client: the deployment comes from the record alone
member = fresh.participants.get(org)
print(json.dumps({
    "file": tradechain.__file__,
    "checkout": str(project.checkout()),
    "version": tradechain.__version__,
    "distribution": importlib.metadata.version("tradechain"),
    "brownie": importlib.util.find_spec("brownie") is not None,
    "record": str(deployments.path_for(client.chain_id)),
    "contracts": sorted(dep.contracts),
    "member": member.to_json(),
    "count": fresh.participants.count(),
    "refused": refused,
    "evm": project.evm_version(),
    "solc": project.solc_version(),
}))
"""


def build_wheel(out: Path) -> Path:
    """A wheel of the tree, built from a copy of it as ``make wheel`` does (nothing of setuptools' in build/)."""
    stage = out / "stage"
    stage.mkdir(parents=True)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, stage / name)
    shutil.copytree(ROOT / "tradechain", stage / "tradechain", ignore=shutil.ignore_patterns("__pycache__"))
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--disable-pip-version-check",
            "-q",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(out),
            str(stage),
        ],
        check=True,
        capture_output=True,
    )
    (wheel,) = out.glob("tradechain-*.whl")
    return wheel


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    given = os.environ.get("TRADECHAIN_WHEEL")
    return Path(given).resolve() if given else build_wheel(tmp_path_factory.mktemp("wheel"))


def _clean_env(home: Path, venv: Path) -> dict[str, str]:
    """What a user's shell outside the checkout would hold: no PYTHONPATH, no TRADECHAIN_*, a home of its own."""
    return {"PATH": f"{venv / 'bin'}{os.pathsep}/usr/bin{os.pathsep}/bin", "HOME": str(home), "LANG": "C.UTF-8"}


@pytest.fixture(scope="module")
def venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty venv with the wheel and its dependencies (from PyPI, pinned by requirements.lock) installed."""
    folder = tmp_path_factory.mktemp("venv") / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(folder)], check=True)
    assert not list((folder / "lib").glob("python3.11/site-packages/web3")), "the venv was not empty"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH" and not k.startswith("TRADECHAIN_")}
    pip = [str(folder / "bin" / "python"), "-m", "pip", "--disable-pip-version-check"]
    install = subprocess.run(
        [*pip, "install", "-q", "-c", str(ROOT / "requirements.lock"), str(wheel)],
        env=env,
        cwd=folder,
        capture_output=True,
        text=True,
    )
    assert install.returncode == 0, install.stderr[-2000:]
    check = subprocess.run([*pip, "check"], env=env, cwd=folder, capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    return folder


@pytest.fixture(scope="module")
def anvil_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """An Anvil of this test's own on a free port, started as ``tradechain node start`` starts one."""
    port = free_port()
    log = tmp_path_factory.mktemp("anvil") / "anvil.log"
    cmd = [toolchain.anvil_command(ROOT), "--host", "127.0.0.1", "--port", str(port)]
    cmd += ["--chain-id", str(project.DEV_CHAIN_ID), "--hardfork", project.evm_version()]
    cmd += ["--accounts", str(accounts.DEV_ACCOUNT_COUNT), "--mnemonic", accounts.DEV_MNEMONIC]
    cmd += ["--gas-limit", str(node.GAS_LIMIT)]
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while True:
            assert proc.poll() is None, log.read_text()[-1000:]
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            assert time.monotonic() < deadline, "anvil did not start"
            time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_the_wheel_holds_the_package_and_its_compiled_contracts_only(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        dist_info = f"tradechain-{VERSION}.dist-info/"
        assert wheel.name == f"tradechain-{VERSION}-py3-none-any.whl"
        assert all(n.startswith(("tradechain/", dist_info)) for n in names), sorted(names)
        assert not [n for n in names if "/tests/" in n or n.startswith("build/") or "__pycache__" in n]
        assert "tradechain/py.typed" in names and f"{dist_info}entry_points.txt" in names
        assert "tradechain = tradechain.cli:main" in zf.read(f"{dist_info}entry_points.txt").decode()
        assert f"Version: {VERSION}\n" in zf.read(f"{dist_info}METADATA").decode()
        compiled = {n.removeprefix("tradechain/_compiled/"): zf.read(n).decode() for n in names if "/_compiled/" in n}
    assert compiled, "the wheel has no compiled contracts: run `make compile` (it exports them from build/)"
    for name in (*CONTRACTS, "MockUSDC"):
        assert f"contracts/{name}.json" in compiled, f"{name} is not in the wheel's package data"
    if (project.build_dir() / "contracts").is_dir():  # the wheel's contracts are the build's, as built now
        assert compiled == artifacts.generate(project.build_dir()), "the package data is stale: run `make compile`"


def test_an_empty_venv_with_the_wheel_deploys_the_suite_with_no_checkout_present(
    venv: Path, anvil_url: str, tmp_path: Path
) -> None:
    home, work = tmp_path / "home", tmp_path / "work"
    home.mkdir()
    work.mkdir()
    (work / "smoke.py").write_text(SMOKE)
    member_lei = lei(1)
    proc = subprocess.run(
        [str(venv / "bin" / "python"), "smoke.py", anvil_url, member_lei],
        cwd=work,
        env=_clean_env(home, venv),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    out: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    assert Path(out["file"]).is_relative_to(venv) and out["checkout"] == "None" and not out["brownie"]
    assert out["version"] == out["distribution"] == VERSION
    assert set(out["contracts"]) == {*CONTRACTS, "MockUSDC"}
    # with no checkout the deployment record goes to the user's home, and nothing is written where it ran
    record_path = home / ".tradechain" / "deployments" / f"{project.DEV_CHAIN_ID}.json"
    assert out["record"] == str(record_path)
    record = json.loads(record_path.read_text())
    assert (
        record["compiler"]
        == artifacts.compiler_settings()
        == {
            "solc": project.solc_version(),
            "evmVersion": project.evm_version(),
            "optimizer": project.brownie_config()["compiler"]["solc"]["optimizer"],
        }
    )
    assert sorted(p.name for p in work.iterdir()) == ["smoke.py"]
    member = out["member"]
    assert (member["id"], member["lei"], member["country"], member["roles"]) == (1, member_lei, "DE", ["brand"])
    assert member["suspended"] is False and member["activeAccounts"] == 1 and out["count"] == 1
    # a revert is decoded from the package data's ABIs, with its NatSpec notice
    assert out["refused"]["error"] == "LeiAlreadyAdmitted" and out["refused"]["description"]
    assert (out["evm"], out["solc"]) == (project.evm_version(), project.solc_version())


def test_the_console_script_runs_outside_the_checkout(venv: Path, tmp_path: Path) -> None:
    env = _clean_env(tmp_path, venv)
    shown = subprocess.run(
        [str(venv / "bin" / "tradechain"), "--help"], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.startswith("Usage: tradechain") and "participant" in shown.stdout
    version = subprocess.run(
        [str(venv / "bin" / "tradechain"), "--version"], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert version.returncode == 0 and VERSION in version.stdout
