"""``make bench`` (``python -m bench.risk``): the customs risk models on Korea Customs Service's declarations
(``../shared/datasets/customs-declarations``, beside the project), measured in one run against their baselines.

- training: the featurizer and each model fitted on the training year (37,385 declarations), seconds per model, and
  the validation metrics (8,134 later declarations) of LightGBM (the artifact's model), scikit-learn's histogram
  gradient boosting, a logistic regression and a customs rule set;
- scoring: declarations scored per second, features and onnxruntime together, batched, by one process (one
  sequential thread: what makes a replay bit for bit) and by two processes (the 2 cores);
- explanation: milliseconds per decision of TreeSHAP and the reasons in words;
- gas on a fresh in-memory Anvil: a model proposed and approved, decision batches of 1 to 10,000 anchored (gas per
  decision), a review and an outcome, and each federated round anchored;
- federated: Flower (``.venv-fl``) over the largest customs offices, round by round, against the central model of
  the same kind and each office alone, every round anchored and audited (MATCH).

Writes the ``risk`` section of ``bench/results.json``. ``--quick`` uses fewer rounds and repetitions.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results.json"
DATA = Path(__file__).resolve().parents[1].parent / "shared" / "datasets" / "customs-declarations"


def _score_worker(args: tuple[bytes, str, int]) -> tuple[int, float]:
    data, csv_path, repeat = args
    import pandas as pd

    from tradechain.risk.artifact import RiskModel

    model = RiskModel.from_bytes(data)
    frame = pd.read_csv(csv_path, dtype=str, keep_default_na=False)
    model.score(frame.iloc[:100])  # warm-up
    start = time.perf_counter()
    for _ in range(repeat):
        model.score(frame)
    return len(frame) * repeat, time.perf_counter() - start


def measure_models(quick: bool) -> tuple[dict[str, Any], Any, Any]:
    from tradechain.risk import artifact, declarations, training
    from tradechain.risk.artifact import RiskModel
    from tradechain.risk.explain import explain

    split = declarations.load(DATA)
    start = time.perf_counter()
    trained = training.train(split, progress=lambda line: print("  " + line))
    total = time.perf_counter() - start
    blob = artifact.build(trained)
    model = RiskModel.from_bytes(blob)
    out: dict[str, Any] = {
        "data": {"train": len(split.train), "valid": len(split.valid), "source": "Korea Customs Service (CTGAN)"},
        "training": {"seconds": round(total, 2), "byModel": trained.seconds, "artifactBytes": len(blob)},
        "validation": trained.metrics,
        "threshold": round(trained.threshold, 6),
        "modelId": "0x" + artifact.model_id(blob).hex(),
    }
    repeat = 2 if quick else 5
    with tempfile.TemporaryDirectory() as tmp:
        csv_path = str(Path(tmp) / "valid.csv")
        split.valid.drop(columns=list(declarations.LABELS)).to_csv(csv_path, index=False)
        rows, seconds = _score_worker((blob, csv_path, repeat))
        one = rows / seconds
        with multiprocessing.get_context("spawn").Pool(2) as pool:
            start = time.perf_counter()
            parts = pool.map(_score_worker, [(blob, csv_path, repeat)] * 2)
        two = sum(r for r, _ in parts) / max(s for _, s in parts)
    sample = split.valid.iloc[: 500 if quick else 2000]
    features = model.features(sample)
    explain(model, sample.iloc[:10], features[:10])  # the explainer is built once
    start = time.perf_counter()
    explain(model, sample, features)
    per = (time.perf_counter() - start) / len(sample) * 1000
    out["scoring"] = {
        "declarationsPerSecond1Process": round(one),
        "declarationsPerSecond2Processes": round(two),
        "batch": len(split.valid),
        "threads": "onnxruntime: 1 intra-op thread, sequential (replay bit for bit)",
    }
    out["explanation"] = {"msPerDecision": round(per, 3), "decisions": len(sample), "method": "shap.TreeExplainer"}
    return out, model, split


def measure_gas(model: Any, split: Any, quick: bool, federation_dir: Path | None) -> dict[str, Any]:
    from bench.run import fresh_chain
    from tradechain.chain import accounts
    from tradechain.client import Client
    from tradechain.formats.identity import lei_with_check_digits
    from tradechain.risk import artifact, decisions, scoring
    from tradechain.suite import deploy_suite

    gas: dict[str, Any] = {}
    rounds: list[dict[str, Any]] = []
    with fresh_chain() as w3:
        admin = Client(w3, accounts.dev_account("admin"))
        deployment = deploy_suite(admin, save=False)
        gas["deploy.RiskRegistry"] = admin.transactor.gas.by_label["deploy RiskRegistry"][0] if admin.transactor else 0

        def as_role(role: str) -> Client:
            return Client(w3, accounts.dev_account(role), deployment=deployment)

        orgs = {}
        for i, (role, country, roles) in enumerate([("customs", "NL", "customs"), ("regulator", "BE", "regulator")]):
            orgs[role] = admin.participants.admit(
                lei=lei_with_check_digits(f"529900RISKBEN{i:05d}"),
                country=country,
                roles=roles,
                manager=accounts.dev_account(role).address,
            ).organisation
        customs, regulator = as_role("customs"), as_role("regulator")
        gas["proposeModel"] = customs.risk.propose_model(
            model.id, artifact.card_hash({"m": model.id_hex}), orgs["regulator"]
        ).gas_used
        gas["approveModel"] = regulator.risk.approve_model(model.id, orgs["customs"]).gas_used
        frame = split.valid.drop(columns=list(split.valid.columns[-2:]))
        threshold = scoring.threshold_ppm(model, None)
        at = customs.chain_time()
        big = scoring.decide(model, frame.iloc[:1000], threshold=threshold, proposer=orgs["customs"], decided_at=at)
        per_batch: dict[str, Any] = {}
        sizes = (1, 100, 1_000) if quick else (1, 100, 1_000, 10_000)
        for size in sizes:
            if size <= len(big.decisions):
                leaves = [d.leaf for d in big.decisions[:size]]
            else:  # more leaves than decisions explained here: the anchor's gas does not depend on them
                leaves = [bytes.fromhex(f"{i:064x}") for i in range(1, size + 1)]
            from tradechain.formats.merkle import MerkleTree

            root = MerkleTree.build(leaves).root
            used = customs.risk.anchor_decisions(root, size, model.id, orgs["customs"]).gas_used
            per_batch[str(size)] = {"gas": used, "gasPerDecision": round(used / size, 1)}
        gas["anchorDecisions"] = per_batch
        batch = decisions.Batch(big.decisions[:1000], orgs["customs"], big.key)
        tree = batch.tree
        first, proof = batch.decisions[0], tree.proof(0)
        if not customs.risk.batch(tree.root, orgs["customs"]).exists:
            customs.risk.anchor_decisions(tree.root, 1000, model.id, orgs["customs"])
        gas["reviewDecision"] = customs.risk.review_decision(
            tree.root, orgs["customs"], first.onchain, proof, "inspect", "value check"
        ).gas_used
        gas["recordOutcome"] = customs.risk.record_outcome(
            tree.root, orgs["customs"], first.onchain, proof, "fraud"
        ).gas_used
        gas["verifyDecision.eth_call"] = int(
            w3.eth.estimate_gas(
                {
                    "to": customs.risk.address,
                    "data": customs.risk.contract.encode_abi(
                        "verifyDecision", [tree.root, orgs["customs"], first.onchain.fields(), proof]
                    ),
                }
            )
        )
        if federation_dir is not None:
            from tradechain.risk import federated

            fed_id = b"customs-offices".ljust(32, b"\0")
            for number in federated.published_rounds(federation_dir):
                manifest = federated.read_round(federation_dir, number)
                receipt = customs.risk.anchor_round(
                    fed_id, number, manifest.updates_root, len(manifest.clients), manifest.aggregate_hash
                )
                on_chain = customs.risk.round(orgs["customs"], fed_id, number)
                audit = federated.audit_round(federation_dir, number)
                matches = on_chain.matches(manifest.updates_root, len(manifest.clients), manifest.aggregate_hash)
                rounds.append(
                    {
                        "round": number,
                        "gas": receipt.gas_used,
                        "clients": len(manifest.clients),
                        "audit": audit.verdict if matches else "MISMATCH",
                    }
                )
            gas["anchorRound"] = {
                "gasMean": round(statistics.mean(r["gas"] for r in rounds)) if rounds else None,
                "gasMax": max((r["gas"] for r in rounds), default=None),
                "rounds": rounds,
            }
    return gas


def measure_federated(quick: bool, out_dir: Path) -> dict[str, Any]:
    from tradechain.risk import federated

    rounds, offices = (3, 5) if quick else (10, 10)
    start = time.perf_counter()
    federated.run(DATA, out_dir, rounds, offices, progress=lambda line: print("  fl: " + line))
    seconds = time.perf_counter() - start
    report = federated.compare(DATA, out_dir, progress=lambda line: print("  fl: " + line))
    return {
        "rounds": rounds,
        "offices": offices,
        "seconds": round(seconds, 1),
        "secondsPerRound": round(seconds / rounds, 2),
        "comparison": report,
    }


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    quick = "--quick" in args
    if not (DATA / "df_syn_train_eng.csv").is_file():
        print(f"bench.risk: {DATA} is absent (the declarations live beside the project): nothing measured")
        return 0
    with tempfile.TemporaryDirectory(prefix="bench-risk-") as tmp:
        os.environ["TRADECHAIN_HOME"] = str(Path(tmp) / "home")
        os.environ["TRADECHAIN_DEPLOYMENTS"] = str(Path(tmp) / "deployments")
        print("risk: training and validation")
        out, model, split = measure_models(quick)
        fed_dir: Path | None = Path(tmp) / "federation"
        try:
            print("risk: federated training (Flower)")
            out["federated"] = measure_federated(quick, fed_dir)
        except Exception as exc:
            out["federated"] = {"error": str(exc)}
            fed_dir = None
        print("risk: gas")
        out["gas"] = measure_gas(model, split, quick, fed_dir)
    out["machine"] = {"cpus": os.cpu_count(), "load": [round(x, 2) for x in os.getloadavg()]}
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    results["risk"] = out
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps({k: out[k] for k in ("scoring", "explanation")}, indent=2))
    print(f"written to {RESULTS} (risk)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
