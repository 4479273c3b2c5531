"""README's layout tables match the tree: every path they name exists, every module of the SDK's packages is
named, and every contract has its family (interface, client module, registry row, CLI group, tests)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()
LAYOUT = README[README.index("## Layout\n") : README.index("## The command line\n")]
SOLIDITY = sorted(p.stem for p in (ROOT / "contracts").glob("*.sol"))


def _rows() -> list[list[str]]:
    return [[c.strip() for c in line.strip("|").split("|")] for line in LAYOUT.splitlines() if line.startswith("| ")]


def test_every_path_of_the_layout_exists() -> None:
    named = [m for cells in _rows() for m in re.findall(r"`([\w./-]+/)`", cells[0])]
    generated = {"tradechain/_compiled/"}  # written by make compile, not in git
    assert named, "the layout table names no folder"
    for path in named:
        assert path in generated or (ROOT / path).is_dir(), f"README names {path}, which is not in the tree"


def test_every_module_of_the_sdk_packages_is_named() -> None:
    rows = {cells[0].strip("`"): cells[1] for cells in _rows()}
    for package in ("chain", "formats", "portal"):
        row = rows[f"tradechain/{package}/"]
        for module in sorted((ROOT / "tradechain" / package).glob("*.py")):
            if module.stem != "__init__":
                assert f"`{module.stem}`" in row, f"README's row of tradechain/{package}/ leaves out {module.stem}"


def test_every_contract_has_its_family() -> None:
    from tradechain.contracts import registry

    family = {cells[0].strip("`").removesuffix(".sol"): cells for cells in _rows() if cells[0].endswith(".sol`")}
    rows = {row.name: row for row in registry.CONTRACTS if row.client_class is not None}
    assert sorted(family) == sorted(rows) == SOLIDITY
    for name, cells in family.items():
        stem = rows[name].client_class.__module__.rsplit(".", 1)[1]  # DvPSettlement: dvp_settlement
        assert stem == re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower().replace("dv_p", "dvp")
        assert (ROOT / "interfaces" / f"I{name}.sol").is_file()
        assert f"`contracts/{stem}.py` (`{rows[name].attribute}`)" in cells[2]
        assert (ROOT / "tradechain" / "contracts" / f"{stem}.py").is_file()
        assert (ROOT / "tests" / "contracts" / f"test_{stem}.py").is_file()
        for cli_module in re.findall(r"`cli/(\w+)\.py`", cells[3]):
            assert (ROOT / "tradechain" / "cli" / f"{cli_module}.py").is_file()
            assert (ROOT / "tests" / "cli" / f"test_{cli_module}.py").is_file()
