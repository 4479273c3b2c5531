"""ABIs and bytecode from Brownie's build artifacts (``build/contracts``, ``build/interfaces``): the one source
of truth for the SDK. Nothing is hand-copied."""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tradechain.chain import project
from tradechain.errors import DeploymentMissing


@dataclass(frozen=True)
class Artifact:
    name: str
    abi: list[dict[str, Any]]
    bytecode: str
    natspec: dict[str, Any]
    compiler: dict[str, Any]


def _artifact_dirs() -> list[Path]:
    build = project.build_dir()
    return [build / "contracts", build / "interfaces"]


@functools.cache
def load(name: str) -> Artifact:
    """The artifact of a contract or interface compiled by ``brownie compile``."""
    for folder in _artifact_dirs():
        path = folder / f"{name}.json"
        if path.is_file():
            data = json.loads(path.read_text())
            return Artifact(
                name=name,
                abi=data["abi"],
                bytecode=data.get("bytecode", ""),
                natspec=data.get("natspec", {}),
                compiler=data.get("compiler", {}),
            )
    raise DeploymentMissing(
        f"no build artifact for {name} in {project.build_dir()}: run `make compile` (brownie compile)"
    )


@functools.cache
def all_artifacts() -> tuple[Artifact, ...]:
    """Every artifact of ours (not OpenZeppelin's dependencies' own files), contracts first."""
    out: list[Artifact] = []
    for folder in _artifact_dirs():
        if folder.is_dir():
            out.extend(load(p.stem) for p in sorted(folder.glob("*.json")))
    return tuple(out)
