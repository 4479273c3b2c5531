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
def checkout() -> Path | None:
    """The project's checkout: ``$TRADECHAIN_PROJECT``, else the checkout this package was loaded from, else one
    holding the working directory; None for an installed package used outside any checkout."""
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
    return None


@functools.cache
def root() -> Path:
    """The project root: the :func:`checkout`, else (no checkout) the working directory."""
    return checkout() or Path.cwd().resolve()


@functools.cache
def brownie_config() -> dict[str, Any]:
    with open(root() / "brownie-config.yaml", encoding="utf-8") as fh:
        data: dict[str, Any] = yaml.safe_load(fh)
    return data


def _has_config() -> bool:
    return (root() / "brownie-config.yaml").is_file()


def solc_version() -> str:
    """The pinned solc: brownie-config.yaml's, else (no checkout) the one the package's contracts were compiled with."""
    if not _has_config():
        from tradechain.chain import artifacts

        return str(artifacts.compiler_settings()["solc"])
    return str(brownie_config()["compiler"]["solc"]["version"])


def evm_version() -> str:
    """The hardfork the contracts are compiled for; Anvil is started with the same one. brownie-config.yaml's, else
    (no checkout) the package's contracts'."""
    if not _has_config():
        from tradechain.chain import artifacts

        return str(artifacts.compiler_settings()["evmVersion"])
    return str(brownie_config()["compiler"]["evm_version"])


def build_dir() -> Path:
    return root() / "build"


def deployments_dir() -> Path:
    """``$TRADECHAIN_DEPLOYMENTS``, else ``deployments/`` of the checkout, else (no checkout) ``deployments/`` in
    :func:`state_home`."""
    env = os.environ.get("TRADECHAIN_DEPLOYMENTS")
    if env is not None:
        return Path(env)
    found = checkout()
    return found / "deployments" if found else state_home() / "deployments"


def state_home() -> Path:
    """Per-project runtime state: the local node's data, keystores. ``$TRADECHAIN_HOME``, else ``.tradechain/`` of
    the checkout, else (no checkout) ``~/.tradechain``."""
    env = os.environ.get("TRADECHAIN_HOME")
    if env is not None:
        return Path(env)
    found = checkout()
    return found / ".tradechain" if found else Path.home() / ".tradechain"
