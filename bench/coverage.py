"""``make coverage``: branch and statement coverage of our own Solidity, from Brownie's coverage report.

Brownie's own percentage mixes statements and branches and counts the OpenZeppelin code each contract inherits.
This reads ``reports/coverage.json`` (written by ``brownie test --coverage``) with the coverage maps of
``build/contracts/<Name>.json`` and counts, for each contract of ours, only what lies in its own source file:

- a statement is covered when it was executed;
- a branch (a condition Brownie maps: ``if``, ``require``, each side of ``&&``/``||``, ``?:``) is covered when both
  its outcomes were seen, true and false (Brownie's "green"); one outcome only counts as uncovered.

Libraries are inlined into the contracts that use them, so their code appears in each contract's coverage map
under the library's own source path. They are reported as entries of their own (``GS1``), never folded into a
contract's figure: a library branch is covered when each of its outcomes was seen in some contract that inlines
it. ``Roles`` holds only constants: it has no statement and no branch, and is listed under ``detail`` alone.
Test mocks (``contracts/test/``), interfaces (no code) and OpenZeppelin sources are left out.

Writes ``bench/coverage.json``: ``{"contracts": {"<Name>": {"branches": 97.1, "statements": 100.0}}, "detail":
{...counts and the uncovered branches and statements, as file:line: source...}}``.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
OUT = Path(__file__).resolve().parent / "coverage.json"

# A branch as Brownie colours it (brownie/test/output.py, _branch_color): green both outcomes seen, yellow only
# true, orange only false, red neither.
_TRUE, _FALSE = "true", "false"
_SEEN = {"green": {_TRUE, _FALSE}, "yellow": {_TRUE}, "orange": {_FALSE}, "red": set()}


@dataclass
class Tally:
    """Coverage of one source file of ours: branches by (start, end) with the outcomes seen, statements too."""

    source: str
    branches: dict[tuple[int, int], set[str]] = field(default_factory=dict)
    statements: dict[tuple[int, int], bool] = field(default_factory=dict)

    def add_branch(self, start: int, end: int, seen: set[str]) -> None:
        self.branches.setdefault((start, end), set()).update(seen)

    def add_statement(self, start: int, end: int, hit: bool) -> None:
        self.statements[(start, end)] = self.statements.get((start, end), False) or hit

    def summary(self) -> dict[str, Any]:
        text = (ROOT / self.source).read_text()
        b_cov = sum(1 for seen in self.branches.values() if len(seen) == 2)
        s_cov = sum(1 for hit in self.statements.values() if hit)
        return {
            "source": self.source,
            "branches_covered": b_cov,
            "branches_total": len(self.branches),
            "statements_covered": s_cov,
            "statements_total": len(self.statements),
            "uncovered_branches": [
                {
                    "at": _where(self.source, text, start, end),
                    "seen": sorted(seen) or ["none"],
                }
                for (start, end), seen in sorted(self.branches.items())
                if len(seen) < 2
            ],
            "uncovered_statements": [
                _where(self.source, text, start, end)
                for (start, end), hit in sorted(self.statements.items())
                if not hit
            ],
        }


def _where(source: str, text: str, start: int, end: int) -> str:
    # Offsets are in bytes of the UTF-8 source.
    raw = text.encode()
    line = raw[:start].count(b"\n") + 1
    snippet = " ".join(raw[start:end].decode(errors="replace").split())
    if len(snippet) > 80:
        snippet = snippet[:77] + "..."
    return f"{source}:{line}: {snippet}"


def _ours(source: str) -> bool:
    return source.startswith("contracts/") and not source.startswith("contracts/test/")


def _pct(covered: int, total: int) -> float:
    return round(100.0 * covered / total, 1) if total else 100.0


def evaluate(report: dict[str, Any], build_dir: Path) -> dict[str, Any]:
    """Our contracts' and libraries' coverage from a Brownie coverage report and the build artifacts."""
    highlights = report["highlights"]
    tallies: dict[str, Tally] = {}
    for artifact in sorted(build_dir.glob("*.json")):
        build = json.loads(artifact.read_text())
        name = build["contractName"]
        if build.get("type") != "contract" or not _ours(build.get("sourcePath", "")):
            continue
        paths: dict[str, str] = build["allSourcePaths"]
        cmap = build["coverageMap"]
        b_high = highlights["branches"].get(name, {})
        s_high = highlights["statements"].get(name, {})
        for path_id, source in paths.items():
            if not _ours(source):
                continue
            # The contract's own file is its entry; a library file is the library's entry (named after the file).
            key = name if source == build["sourcePath"] else Path(source).stem
            tally = tallies.setdefault(key, Tally(source))
            colors_b = {(h[0], h[1]): h[2] for h in b_high.get(path_id, [])}
            colors_s = {(h[0], h[1]): h[2] for h in s_high.get(path_id, [])}
            for fn in cmap["branches"].get(path_id, {}).values():
                for start, end, _jump in fn.values():
                    tally.add_branch(start, end, _SEEN[colors_b.get((start, end), "red")])
            for fn in cmap["statements"].get(path_id, {}).values():
                for start, end in fn.values():
                    tally.add_statement(start, end, colors_s.get((start, end)) == "green")
    # Also each library of ours that no contract inlines code of (constants only): listed with zero counts.
    for lib in sorted((ROOT / "contracts" / "libraries").glob("*.sol")):
        tallies.setdefault(lib.stem, Tally(lib.relative_to(ROOT).as_posix()))

    contracts: dict[str, dict[str, float]] = {}
    detail: dict[str, Any] = {}
    for key in sorted(tallies):
        s = tallies[key].summary()
        detail[key] = s
        if s["branches_total"] == 0 and s["statements_total"] == 0:
            s["note"] = "no executable code (constants only): nothing to cover"
            continue
        contracts[key] = {
            "branches": _pct(s["branches_covered"], s["branches_total"]),
            "statements": _pct(s["statements_covered"], s["statements_total"]),
        }
    return {
        "contracts": contracts,
        "detail": detail,
        "definition": (
            "Our own source files only (contracts/*.sol, contracts/libraries/*.sol; not contracts/test/ mocks, "
            "not OpenZeppelin). A branch is covered when both its true and its false outcome were seen, as Brownie "
            "counts it; a statement when it ran. A library's figure joins the outcomes seen in every contract that "
            "inlines it; a contract's figure excludes the libraries it inlines."
        ),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--report", type=Path, default=ROOT / "reports" / "coverage.json")
    parser.add_argument("--build", type=Path, default=ROOT / "build" / "contracts")
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--min-branches", type=float, default=None, help="fail if a contract is below this %%")
    args = parser.parse_args(argv)

    result = evaluate(json.loads(args.report.read_text()), args.build)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"{'contract':<22}{'branches':>18}{'statements':>20}")
    for name, figures in result["contracts"].items():
        d = result["detail"][name]
        b = f"{d['branches_covered']}/{d['branches_total']} {figures['branches']:5.1f}%"
        s = f"{d['statements_covered']}/{d['statements_total']} {figures['statements']:5.1f}%"
        print(f"{name:<22}{b:>18}{s:>20}")
        for miss in d["uncovered_branches"]:
            print(f"    branch {miss['at']}  (seen: {', '.join(miss['seen'])})")
    print(f"written {args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out}")
    if args.min_branches is not None:
        low = [n for n, f in result["contracts"].items() if f["branches"] < args.min_branches]
        if low:
            print(f"below {args.min_branches}% of branches: {', '.join(low)}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
