"""The unit tests: plain pytest, no chain. ``make test`` runs them first, on their own and without Brownie's plugin
(``pytest -p no:pytest-brownie --confcutdir=tests/unit tests/unit``); that run fails if anything they import loads
Brownie."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from helpers import shared_dir

__all__ = ["shared_dir"]


@pytest.fixture(autouse=True)
def isolate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test with its own state folder and off-chain serial store."""
    monkeypatch.setenv("TRADECHAIN_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("TRADECHAIN_SERIALS", str(tmp_path / "serials"))


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if not session.config.pluginmanager.has_plugin("pytest-brownie") and "brownie" in sys.modules:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
        print("\nthe unit tests loaded Brownie: a module they import pulls it in", file=sys.stderr)
