"""``make bench-invariants`` (part of ``make bench``): every stateful invariant machine run for at least 10,000
rule steps, in one ``brownie test`` on its own throw-away Anvil. Merges
``{"invariants": {machine: {"steps", "examples", "seconds"}}}`` into ``bench/results.json`` (the other keys are
``bench/run.py``'s and are kept).

``python -m bench.invariants [--steps N] [machine ...]`` runs only the named machines (escrow, invoices,
certificates, custody, recall, risk, titles), for at least N steps each."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results.json"
MACHINES = {
    "escrow": "tests/invariants/test_trade_escrow.py",
    "invoices": "tests/invariants/test_invoice_registry.py",
    "certificates": "tests/invariants/test_luxury_certificate.py",
    "custody": "tests/invariants/test_custody.py",
    "recall": "tests/invariants/test_recall.py",
    "risk": "tests/invariants/test_risk_registry.py",
    "titles": "tests/invariants/test_title_registry.py",
}
MIN_STEPS = 10_000
EXAMPLES = 20  # per round of Hypothesis (a few thousand steps); a machine runs rounds until it has its steps
STEPS_PER_EXAMPLE = 300  # at most: Hypothesis ends some examples earlier


def run(names: list[str], min_steps: int) -> dict[str, dict[str, float]]:
    """Runs the machines, returns their figures as each test reported them."""
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "invariants.json"
        env = {
            **os.environ,
            "TRADECHAIN_STATEFUL_EXAMPLES": str(EXAMPLES),
            "TRADECHAIN_STATEFUL_STEPS": str(STEPS_PER_EXAMPLE),
            "TRADECHAIN_STATEFUL_MIN_STEPS": str(min_steps),
            "TRADECHAIN_STATEFUL_REPORT": str(report),
        }
        brownie = str(Path(sys.executable).parent / "brownie")
        done = subprocess.run([brownie, "test", *(MACHINES[n] for n in names), "-s"], cwd=ROOT, env=env)
        figures: dict[str, dict[str, float]] = json.loads(report.read_text()) if report.exists() else {}
    if done.returncode != 0:
        raise SystemExit(f"an invariant machine failed (brownie test exited {done.returncode})")
    missing = [n for n in names if n not in figures or figures[n]["steps"] < min_steps]
    if missing:
        raise SystemExit(f"no figures of at least {min_steps} steps for: {', '.join(missing)}")
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.invariants", description=__doc__.splitlines()[0])
    parser.add_argument("machines", nargs="*", choices=[[], *MACHINES], default=[], metavar="machine")
    parser.add_argument("--steps", type=int, default=MIN_STEPS, help="rule steps per machine, at least")
    args = parser.parse_args(argv)
    names = list(args.machines) or list(MACHINES)
    start = time.perf_counter()
    figures = run(names, args.steps)
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    results.setdefault("invariants", {}).update(figures)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print("invariant machines:")
    for name in names:
        f = figures[name]
        print(
            f"  {name:13} {f['steps']:>7,} steps in {f['examples']:>4} examples, {f['seconds']:7.1f} s"
            f" ({1000 * f['seconds'] / f['steps']:.1f} ms a step)"
        )
    print(f"total {time.perf_counter() - start:.0f} s; written to {RESULTS}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
