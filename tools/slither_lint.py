"""Slither over every contract of ours, as one compilation; the Solidity half of ``make lint``.

Run with the lint venv (``make lint`` does)::

    .venv-lint/bin/python tools/slither_lint.py --solc ~/.solcx/solc-v0.8.30 [--out bench/slither.json]

It compiles ``contracts/*.sol``, ``contracts/libraries/*.sol``, ``contracts/test/*.sol`` (the test mocks: they are
deployed by the tests, so they are linted too) and ``interfaces/*.sol`` together, with the remappings and the path
filter of ``slither.config.json`` (OpenZeppelin under ``node_modules`` is filtered out), and runs the detectors that
``slither.config.json`` picks by name (``detectors_to_run``, as OpenZeppelin's config does).

Detectors: every detector of the pinned Slither (``requirements-lint.lock``) is either run or excluded in
:data:`EXCLUDED` with the reason; a name that is neither (a Slither upgrade that brings a new detector) or both, or
that the pinned Slither does not know, fails the lint, so the choice is always explicit.

Policy: a finding of any impact fails the lint unless a ``// slither-disable-next-line <detector> ...`` comment on the
line above it says why it is safe or intended (the text after the detector names is the reason, and is required).
A disable comment that suppresses nothing fails it too, so the suppressions cannot go stale, unless its reason says
"intermittent": Slither's taint analysis is not deterministic (see INTERMITTENT), and such a comment's finding is
counted as suppressed whether or not the run reported it. Exit status: 0 clean, 1 findings or stale suppressions,
2 usage or compilation error.

The summary (every file analysed, the open findings by impact, the suppressed ones by detector, per file) is written
to ``--out`` as JSON; it holds no time or absolute path, so it only changes when the findings do.
"""

from __future__ import annotations

import argparse
import inspect
import json
import logging
import os
import re
import sys
from collections import Counter
from importlib import metadata
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ("contracts/*.sol", "contracts/libraries/*.sol", "contracts/test/*.sol", "interfaces/*.sol")
IMPACTS = ("high", "medium", "low", "informational", "optimization")
# Slither 0.11.6's taint analysis depends on the order of sets of objects hashed by address: a few findings come and
# go from one run to the next. Their disable comments say "intermittent" in their reason, and are not stale when
# such a run does not report them.
INTERMITTENT = "intermittent"
DISABLE = re.compile(r"^\s*//\s*slither-disable-next-line\s+([a-zA-Z0-9_,-]+)(.*)$")
# The detectors of the pinned Slither that slither.config.json does not run, and why. Both are the same false
# positive: Slither's data flow is not field-sensitive, so every field read from a storage slot (or a struct, or a
# packed word) that also holds a `block.timestamp` (an invoice's `since`, a unit's `since`, an organisation's
# `admittedAt`, a certificate's `reportedAt`) counts as derived from the timestamp. Before they were excluded, 42
# of the 54 suppressed findings were these two, each silenced by a comment on the line above it.
EXCLUDED = {
    "timestamp": (
        "every comparison of a status, a share, a role, a nesting height or an address that shares a word with a "
        "timestamp is reported as a time comparison (17 of its 26 findings); the real ones compare block.timestamp "
        "with a deadline or an expiry date (escrow refund deadline, dispute window and arbitration period, "
        "acknowledgment deadline, lot expiry), which are days long: a validator's few seconds of drift are "
        "immaterial, and no contract draws randomness from the time (weak-prng runs)"
    ),
    "incorrect-equality": (
        "it reports strict equalities on a value an attacker can steer (a balance, a timestamp); all 16 of its "
        "findings compared statuses, shares or role bits that share a word with a timestamp. The suite's one "
        "comparison with a balance (TradeEscrow.fund: received != amount) is strict on purpose (it refuses "
        "fee-on-transfer tokens; tests/sdk/test_trade_escrow.py)"
    ),
}


def sources(root: Path = ROOT) -> list[str]:
    files: list[str] = []
    for pattern in SOURCES:
        files.extend(sorted(p.relative_to(root).as_posix() for p in root.glob(pattern)))
    return files


def config(root: Path = ROOT) -> dict[str, Any]:
    with open(root / "slither.config.json", encoding="utf8") as fh:
        data: dict[str, Any] = json.load(fh)
    return data


def chosen_detectors(cfg: dict[str, Any], known: set[str]) -> tuple[list[str], list[str]]:
    """(the detectors slither.config.json runs, what is wrong with the choice): every known detector is run or
    excluded, never both, and every name is known."""
    run = [d.strip() for d in cfg.get("detectors_to_run", "").split(",") if d.strip()]
    problems = [f"{d} is run and excluded" for d in sorted(set(run) & set(EXCLUDED))]
    problems += [f"{d} is not a detector of this Slither" for d in sorted((set(run) | set(EXCLUDED)) - known)]
    problems += [
        f"{d} is neither run (slither.config.json detectors_to_run) nor excluded (EXCLUDED)"
        for d in sorted(known - set(run) - set(EXCLUDED))
    ]
    problems += [f"{d} is named twice in detectors_to_run" for d, n in sorted(Counter(run).items()) if n > 1]
    return run, problems


def line_of(root: Path, rel: str, n: int) -> str:
    lines = (root / rel).read_text(encoding="utf8").splitlines()
    return lines[n - 1] if 0 < n <= len(lines) else ""


def unexplained_disables(root: Path, files: list[str]) -> list[str]:
    """Disable comments with no reason after the detector names."""
    bad = []
    for rel in files:
        for n, line in enumerate((root / rel).read_text(encoding="utf8").splitlines(), start=1):
            m = DISABLE.match(line)
            if "slither-disable" in line and (m is None or len(m.group(2).strip(" -:—()")) < 10):
                bad.append(f"{rel}#{n}: {line.strip()}")
    return bad


def all_detectors() -> list[Any]:
    """Every detector class of the pinned Slither."""
    from slither.detectors import all_detectors as module
    from slither.detectors.abstract_detector import AbstractDetector

    return [
        d
        for d in (getattr(module, name) for name in dir(module))
        if inspect.isclass(d) and issubclass(d, AbstractDetector)
    ]


def analyse(
    root: Path, files: list[str], solc: str, detectors: list[Any]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], str, dict[str, str]]:
    """(findings, unused disable comments, compiler version, impact of each detector run) of one compilation."""
    from crytic_compile import CryticCompile
    from crytic_compile.platform.solc_standard_json import SolcStandardJson
    from slither import Slither
    from slither.detectors.abstract_detector import classification_txt

    cfg = config(root)
    standard_json = SolcStandardJson()
    standard_json.add_source_files(files)
    compilation = CryticCompile(standard_json, solc=solc, solc_remaps=cfg["solc_remaps"], solc_working_dir=str(root))
    slither = Slither(
        compilation,
        filter_paths=[p for p in cfg["filter_paths"].split(",") if p],
        exclude_dependencies=cfg.get("exclude_dependencies", True),
        # Every finding is returned; which ones a comment suppresses is decided below, so they can be counted.
        show_ignored_findings=True,
    )
    for detector in detectors:
        slither.register_detector(detector)
    findings = []
    for result in (r for per_detector in slither.run_detectors() for r in per_detector):
        # A dependency-only finding (OpenZeppelin) is not ours: filtered like the command line filters it.
        elements = [e for e in result["elements"] if "source_mapping" in e]
        if elements and all(e["source_mapping"].get("is_dependency") for e in elements):
            continue
        result["suppressed"] = slither.has_ignore_comment(result)
        findings.append(result)
    unused = slither.get_unused_ignore_comments()
    versions = {cu.compiler_version.version for cu in compilation.compilation_units.values()}
    impacts = {d.ARGUMENT: classification_txt[d.IMPACT] for d in detectors}
    return findings, unused, ",".join(sorted(versions)), impacts


def where(result: dict[str, Any], root: Path) -> str:
    """The file of a finding (its first element's), relative to the repository."""
    for element in result["elements"]:
        mapping = element.get("source_mapping") or {}
        name = mapping.get("filename_absolute")
        if name:
            path = Path(name)
            try:
                return path.resolve().relative_to(root).as_posix()
            except ValueError:
                return path.as_posix()
    return "?"


def summarise(
    findings: list[dict[str, Any]], files: list[str], root: Path, solc_version: str, n_detectors: int
) -> dict[str, Any]:
    """The JSON summary: versions, detectors, files, open findings by impact, suppressed ones by detector."""
    per_file: dict[str, dict[str, Any]] = {f: {i: 0 for i in IMPACTS} | {"suppressed": {}} for f in files}
    totals: Counter[str] = Counter()
    suppressed: Counter[str] = Counter()
    suppressed_by_impact: Counter[str] = Counter()
    for r in findings:
        impact = r["impact"].lower()
        entry = per_file.setdefault(where(r, root), {i: 0 for i in IMPACTS} | {"suppressed": {}})
        if r["suppressed"]:
            suppressed[r["check"]] += 1
            suppressed_by_impact[impact] += 1
            entry["suppressed"][r["check"]] = entry["suppressed"].get(r["check"], 0) + 1
        else:
            totals[impact] += 1
            entry[impact] += 1
    for entry in per_file.values():
        entry["suppressed"] = dict(sorted(entry["suppressed"].items()))
    return {
        "slither": metadata.version("slither-analyzer"),
        "crytic_compile": metadata.version("crytic-compile"),
        "solc": solc_version,
        "detectors": n_detectors,
        "excluded_detectors": sorted(EXCLUDED),
        "contracts": files,
        **{i: totals[i] for i in IMPACTS},
        "suppressed": dict(sorted(suppressed.items())),
        "suppressed_by_impact": {i: suppressed_by_impact[i] for i in IMPACTS},
        "per_file": dict(sorted(per_file.items())),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--solc", required=True, help="the solc executable (native, or the solc-js bridge)")
    parser.add_argument("--out", type=Path, help="write the JSON summary here")
    parser.add_argument("--root", type=Path, default=ROOT)
    args = parser.parse_args(argv)
    root = args.root.resolve()
    os.chdir(root)  # crytic-compile reads the sources, and solc resolves imports, from the working directory
    logging.basicConfig(level=logging.WARNING, format="%(name)s: %(message)s")
    for name in ("CryticCompile", "Slither", "Detectors"):
        logging.getLogger(name).setLevel(logging.ERROR)

    files = sources(root)
    known = all_detectors()
    run, problems = chosen_detectors(config(root), {d.ARGUMENT for d in known})
    if problems:
        for problem in problems:
            print(f"slither.config.json: {problem}", file=sys.stderr)
        return 2
    try:
        chosen = [d for d in known if d.ARGUMENT in run]
        findings, unused, solc_version, impacts = analyse(root, files, args.solc, chosen)
    except Exception as exc:  # a compilation error: say it plainly
        print(f"slither: cannot analyse the contracts: {exc}", file=sys.stderr)
        return 2
    failed = False
    stale = []
    seen: set[tuple[str, int]] = set()
    for u in unused:
        rel = where({"elements": [{"source_mapping": {"filename_absolute": u["file"]}}]}, root)
        if rel not in files or (rel, u["line"]) in seen:
            continue  # OpenZeppelin's own disable comments (for detectors that the filter drops anyway); duplicates
        seen.add((rel, u["line"]))
        if INTERMITTENT in line_of(root, rel, u["line"]):
            # Counted as suppressed whether or not this run reported it, so that the summary does not flicker.
            for check in u["unused_detectors"]:
                findings.append(
                    {
                        "check": check,
                        "impact": impacts.get(check, "Informational"),
                        "description": f"{rel}#{u['line'] + 1} (intermittent, not reported by this run)",
                        "elements": [{"source_mapping": {"filename_absolute": u["file"]}}],
                        "suppressed": True,
                    }
                )
            continue
        stale.append(f"{rel}#{u['line']} disables {','.join(u['unused_detectors'])}, which finds nothing")
    n_detectors = len(impacts)
    summary = summarise(findings, files, root, solc_version, n_detectors)
    if args.out:
        args.out.write_text(json.dumps(summary, indent=2) + "\n")

    for r in sorted(findings, key=lambda r: (IMPACTS.index(r["impact"].lower()), r["check"], r["description"])):
        if not r["suppressed"]:
            failed = True
            print(f"[{r['impact'].lower()}] {r['check']}: {r['description'].strip()}\n")
    for message in stale:
        failed = True
        print(f"stale suppression: {message}")
    for line in unexplained_disables(root, files):
        failed = True
        print(f"suppression without a reason: {line}")

    opened = " ".join(f"{summary[i]} {i}" for i in IMPACTS)
    n_suppressed = sum(summary["suppressed"].values())
    print(
        f"slither {summary['slither']} ({n_detectors} detectors, {len(EXCLUDED)} excluded; solc {solc_version}) over "
        f"{len(files)} files: "
        f"{opened}; {n_suppressed} suppressed with a reason"
    )
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
