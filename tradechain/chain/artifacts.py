"""The compiled contracts the SDK needs (ABI, bytecode, NatSpec, enums, compiler settings), shipped as package data in
``tradechain/_compiled/``: generated from Brownie's build (``build/contracts``, ``build/interfaces``), which stays
the one source, by ``python -m tradechain.chain.artifacts export`` (``make compile`` runs it after
``brownie compile``); never hand-copied. An installed wheel reads its package data only. In the checkout the package
data lives in, a build that changed since its export (a ``brownie test`` recompiled a contract) is exported again
before it is read, so the SDK always runs the build's code.

``python -m tradechain.chain.artifacts check`` exits 1 when the package data and the build disagree.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tradechain.chain import project
from tradechain.errors import DeploymentMissing

FOLDERS = ("contracts", "interfaces")
"""Brownie's build folders exported, in lookup order (contracts first, as Brownie's build has them)."""

INDEX = "index.json"
"""The package data's table of contents: the compiler settings and every artifact's name, by folder."""

STAMP = ".build-stamp"
"""Beside the package data of a checkout (never in a wheel): the build files' names, times and sizes it was exported
from, so a recompiled build is noticed without reading it."""


@dataclass(frozen=True)
class Artifact:
    name: str
    abi: list[dict[str, Any]]
    bytecode: str
    natspec: dict[str, Any]
    compiler: dict[str, Any]
    enums: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Enum -> its member names, of the enums the artifact's source defines ("ITradeEscrow.Status" -> ("None", ...))."""


def package_dir() -> Path:
    """Where the package data lives: ``_compiled/`` beside this package's modules."""
    return Path(__file__).resolve().parents[1] / "_compiled"


# ---------------------------------------------------------------------------------------------------- export


def _enums_of(ast: Any) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("nodeType") == "EnumDefinition" and node.get("canonicalName"):
                found[str(node["canonicalName"])] = [str(m["name"]) for m in node.get("members", [])]
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(ast)
    return found


def slim(data: dict[str, Any]) -> dict[str, Any]:
    """What the SDK reads of one of Brownie's build artifacts."""
    return {
        "abi": data["abi"],
        "bytecode": data.get("bytecode", ""),
        "natspec": data.get("natspec", {}),
        "compiler": data.get("compiler", {}),
        "enums": _enums_of(data.get("ast")),
    }


def _settings_of(compiler: dict[str, Any]) -> dict[str, Any]:
    """The settings a deployment records, from an artifact's ``compiler`` (``"0.8.30+commit.73712a01"`` -> 0.8.30)."""
    return {
        "solc": str(compiler["version"]).split("+", 1)[0],
        "evmVersion": str(compiler["evm_version"]),
        "optimizer": dict(compiler.get("optimizer", {})),
    }


def _build_files(build: Path) -> Iterator[tuple[str, Path]]:
    for folder in FOLDERS:
        if (build / folder).is_dir():
            for path in sorted((build / folder).glob("*.json")):
                yield folder, path


def generate(build: Path) -> dict[str, str]:
    """The package data of a build: relative path -> file text. Raises if the build has no artifacts or its
    artifacts were compiled with different settings (a partial recompilation)."""
    files: dict[str, str] = {}
    names: dict[str, list[str]] = {folder: [] for folder in FOLDERS}
    settings: dict[str, dict[str, Any]] = {}
    for folder, path in _build_files(build):
        artifact = slim(json.loads(path.read_text(encoding="utf-8")))
        files[f"{folder}/{path.name}"] = json.dumps(artifact, indent=1) + "\n"
        names[folder].append(path.stem)
        if artifact["compiler"]:
            settings[path.stem] = _settings_of(artifact["compiler"])
    if not files:
        raise DeploymentMissing(f"no build artifacts in {build}: run `make compile` (brownie compile)")
    distinct = {json.dumps(s, sort_keys=True) for s in settings.values()}
    if len(distinct) != 1:
        raise DeploymentMissing(
            f"the artifacts in {build} were compiled with {len(distinct)} different settings: "
            "run `brownie compile --all`"
        )
    index = {
        "generatedBy": "python -m tradechain.chain.artifacts export (from Brownie's build; do not edit)",
        "compiler": next(iter(settings.values())),
        **names,
    }
    files[INDEX] = json.dumps(index, indent=1) + "\n"
    return files


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _existing(out: Path) -> set[str]:
    return {
        f"{folder}/{p.name}" for folder in FOLDERS if (out / folder).is_dir() for p in (out / folder).glob("*.json")
    }


def export(build: Path | None = None, out: Path | None = None) -> list[str]:
    """Writes the package data of ``build`` (default: the project's) into ``out`` (default: :func:`package_dir`):
    each file atomically and only if it changed, the index last, the artifacts no longer built removed, then the
    stamp of the build it came from. Returns the files written or removed."""
    build = build or project.build_dir()
    out = out or package_dir()
    stamp = _stamp_of(build)  # before reading: a build changed meanwhile is seen as newer next time
    files = generate(build)
    changed = [rel for rel, text in files.items() if not _same(out / rel, text)]
    for rel in sorted(changed, key=lambda rel: rel == INDEX):
        _write(out / rel, files[rel])
    for rel in sorted(_existing(out) - set(files)):
        (out / rel).unlink()
        changed.append(rel)
    _write(out / STAMP, stamp)
    return changed


def _same(path: Path, text: str) -> bool:
    return path.is_file() and path.read_text(encoding="utf-8") == text


def differences(build: Path | None = None, out: Path | None = None) -> list[str]:
    """The package data's files that disagree with a fresh export of ``build``: missing, different or extra."""
    build = build or project.build_dir()
    out = out or package_dir()
    files = generate(build)
    found = []
    for rel, text in files.items():
        if not (out / rel).is_file():
            found.append(f"{rel}: missing")
        elif not _same(out / rel, text):
            found.append(f"{rel}: differs from the build")
    found.extend(f"{rel}: not in the build" for rel in sorted(_existing(out) - set(files)))
    return found


def _stamp_of(build: Path) -> str:
    entries = {}
    for folder, path in _build_files(build):
        info = path.stat()
        entries[f"{folder}/{path.name}"] = [info.st_mtime_ns, info.st_size]
    return json.dumps(entries, sort_keys=True) + "\n"


def _stale(build: Path, out: Path) -> bool:
    """True when the build has artifacts and they are not those the package data was exported from (by name, time
    and size: cheap, nothing is parsed)."""
    stamp = _stamp_of(build)
    return stamp != "{}\n" and not _same(out / STAMP, stamp)


# ---------------------------------------------------------------------------------------------------- loading


@functools.cache
def _data_dir() -> Path:
    """The package data, exported again first when this package is the checkout's and its build is newer."""
    out = package_dir()
    if out == project.root() / "tradechain" / "_compiled" and _stale(project.build_dir(), out):
        export(project.build_dir(), out)
    return out


@functools.cache
def _index() -> dict[str, Any]:
    path = _data_dir() / INDEX
    if not path.is_file():
        raise DeploymentMissing(
            f"no compiled contracts in {path.parent}: in a checkout run `make compile` "
            "(brownie compile, then python -m tradechain.chain.artifacts export)"
        )
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


@functools.cache
def load(name: str) -> Artifact:
    """The artifact of a contract or interface compiled by ``brownie compile``, from the package data."""
    index = _index()
    for folder in FOLDERS:
        if name in index.get(folder, ()):
            data = json.loads((_data_dir() / folder / f"{name}.json").read_text(encoding="utf-8"))
            return Artifact(
                name=name,
                abi=data["abi"],
                bytecode=data["bytecode"],
                natspec=data["natspec"],
                compiler=data["compiler"],
                enums={k: tuple(v) for k, v in data["enums"].items()},
            )
    raise DeploymentMissing(f"no build artifact for {name} in {_data_dir()}: run `make compile` (brownie compile)")


@functools.cache
def all_artifacts() -> tuple[Artifact, ...]:
    """Every artifact (ours and the OpenZeppelin contracts ours build on), contracts first."""
    index = _index()
    return tuple(load(name) for folder in FOLDERS for name in index.get(folder, ()))


def enums() -> dict[str, tuple[str, ...]]:
    """Enum -> its member names, over every artifact."""
    return {name: members for art in all_artifacts() for name, members in art.enums.items()}


def compiler_settings() -> dict[str, Any]:
    """What a deployment records of the compiler: ``{"solc": "0.8.30", "evmVersion": "prague", "optimizer": {...}}``
    (the settings Brownie compiled the package's contracts with)."""
    settings: dict[str, Any] = json.loads(json.dumps(_index()["compiler"]))  # a copy: the caller may change it
    return settings


# ---------------------------------------------------------------------------------------------------- command


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tradechain.chain.artifacts", description="The SDK's package data of compiled contracts."
    )
    parser.add_argument("command", choices=["export", "check"], help="export: write the package data; check: compare")
    parser.add_argument("--build", type=Path, default=None, help="Brownie's build folder (default: the project's)")
    parser.add_argument("--out", type=Path, default=None, help="the package data folder (default: the package's)")
    args = parser.parse_args(argv)
    build, out = args.build or project.build_dir(), args.out or package_dir()
    try:
        if args.command == "export":
            changed = export(build, out)
            index = json.loads((out / INDEX).read_text(encoding="utf-8"))
            count = sum(len(index[folder]) for folder in FOLDERS)
            print(f"{count} artifacts of {build} exported to {out} ({len(changed)} files changed)")
            return 0
        found = differences(build, out)
    except DeploymentMissing as exc:
        print(exc, file=sys.stderr)
        return 1
    for line in found:
        print(line, file=sys.stderr)
    if found:
        print("the package data disagrees with the build: run `make compile`", file=sys.stderr)
        return 1
    print(f"{out} agrees with {build}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
