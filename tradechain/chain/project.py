"""Where the project's files are, and what its configuration pins (solc, EVM version)."""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Any

import yaml

DEV_CHAIN_ID = 31337
"""Chain id of the embedded local chain (Anvil's default)."""


def _looks_like_root(path: Path) -> bool:
    return (path / "brownie-config.yaml").is_file() and (path / "tradechain").is_dir()


@functools.cache
def root() -> Path:
    """The project root: ``$TRADECHAIN_PROJECT``, else the checkout this package was loaded from, else cwd."""
    env = os.environ.get("TRADECHAIN_PROJECT")
    if env:
        return Path(env).resolve()
    here = Path(__file__).resolve().parents[2]  # tradechain/chain/project.py -> the checkout
    if _looks_like_root(here):
        return here
    cwd = Path.cwd().resolve()
    for candidate in (cwd, *cwd.parents):
        if _looks_like_root(candidate):
            return candidate
    return cwd


@functools.cache
def brownie_config() -> dict[str, Any]:
    with open(root() / "brownie-config.yaml", encoding="utf-8") as fh:
        data: dict[str, Any] = yaml.safe_load(fh)
    return data


def solc_version() -> str:
    return str(brownie_config()["compiler"]["solc"]["version"])


def evm_version() -> str:
    """The hardfork the contracts are compiled for; Anvil is started with the same one."""
    return str(brownie_config()["compiler"]["evm_version"])


def build_dir() -> Path:
    return root() / "build"


def deployments_dir() -> Path:
    return Path(os.environ.get("TRADECHAIN_DEPLOYMENTS", root() / "deployments"))


def state_home() -> Path:
    """Per-project runtime state: the local node's data, keystores."""
    return Path(os.environ.get("TRADECHAIN_HOME", root() / ".tradechain"))
