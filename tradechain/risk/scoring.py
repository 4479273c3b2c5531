"""Scoring declarations and anchoring the decisions: what ``tradechain risk score`` does, the demo and the
benchmark call.

Anchoring is safe to repeat: the batch is written whole before its root is sent, and a second run over the same
declarations with the same model and threshold finds that batch again (:func:`decisions.batch_key`), re-sends its
root only if the chain does not have it, and never decides twice."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tradechain.contracts.risk_registry import INSPECT
from tradechain.errors import InputError
from tradechain.risk import decisions as decisions_
from tradechain.risk import declarations as declarations_
from tradechain.risk.artifact import RiskModel, to_ppm
from tradechain.risk.explain import explain

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from tradechain.chain.tx import Receipt
    from tradechain.client import Client

CHUNK = 2_000


def threshold_ppm(model: RiskModel, value: float | None) -> int:
    """The inspection threshold in millionths: ``value`` (a probability 0-1), else the model's own."""
    chosen = model.threshold if value is None else value
    if not 0 <= chosen <= 1:
        raise InputError("threshold", "must be a probability from 0 to 1", str(value))
    return to_ppm(chosen)


def scores_csv(frame: pd.DataFrame, scores: np.ndarray | Sequence[float]) -> bytes:
    """The scores file: ``Declaration ID,score`` (score from 0 to 1, 6 decimals), one row per declaration."""
    lines = ["Declaration ID,score"]
    for declaration_id, score in zip(frame[declarations_.ID], scores, strict=True):
        text = str(declaration_id)
        if any(c in text for c in ',"\n\r'):
            text = '"' + text.replace('"', '""') + '"'
        lines.append(f"{text},{to_ppm(float(score)) / 1_000_000:.6f}")
    return ("\n".join(lines) + "\n").encode()


def decide(
    model: RiskModel,
    frame: pd.DataFrame,
    *,
    threshold: int,
    proposer: int,
    decided_at: int | None = None,
    key: str = "",
    progress: Callable[[int, int], None] = lambda done, total: None,
) -> decisions_.Batch:
    """The decisions on each declaration of ``frame``, with their explanations, as one batch (not yet anchored;
    ``key``: what :func:`anchor` finds it again by)."""
    at = int(decided_at if decided_at is not None else time.time())
    records: list[decisions_.DecisionRecord] = []
    for start in range(0, len(frame), CHUNK):
        part = frame.iloc[start : start + CHUNK]
        features = model.features(part)
        scores = model.score_matrix(features)
        explanations = explain(model, part, features)
        for row, score, why in zip(declarations_.rows(part), scores, explanations, strict=True):
            ppm = to_ppm(float(score))
            records.append(
                decisions_.DecisionRecord(
                    declaration=row,
                    model_id=model.id,
                    score=ppm,
                    threshold=threshold,
                    decision=decisions_.decide(ppm, threshold),
                    explanation=why,
                    decided_at=at,
                )
            )
        progress(len(records), len(frame))
    return decisions_.Batch(records, proposer, key)


@dataclass
class Anchored:
    batch: decisions_.Batch
    receipt: Receipt | None
    """None: the chain had the batch already (a retry), nothing was sent."""
    resumed: bool


def anchor(
    client: Client,
    model: RiskModel,
    frame: pd.DataFrame,
    *,
    threshold: int,
    proposer: int | None = None,
    home: Path | None = None,
    progress: Callable[[int, int], None] = lambda done, total: None,
) -> Anchored:
    """Decide and anchor: the batch folder is written before anything is sent; a retry over the same input
    resumes that batch (same root) and sends nothing if the chain has it. ``proposer``: the organisation that
    registered the model (by default the signer's own, the only one whose model it may anchor under). Only the
    approved model's own threshold is anchored (an officer's lower or higher one would pass for the model's). A
    batch folder found for the same input is checked decision by decision before it is resumed: one written by
    another process (another model, threshold, proposer, declarations, or scores the model does not give) is
    refused, nothing sent."""
    own = to_ppm(model.threshold)
    if threshold != own:
        raise InputError(
            "threshold",
            f"an anchored decision uses the approved model's own threshold ({own / 1_000_000:.6f}); "
            "score without --anchor to try another",
        )
    signer = client.require_signer().address
    org = client.participants.require_role_any(signer)
    proposer = org if proposer is None else proposer
    record = client.risk.model(model.id, proposer)
    if record.status != "approved":
        raise InputError(
            "model",
            f"model {model.id_hex} of organisation {proposer} is {record.status}: only an approved model's "
            "decisions are anchored (risk register, then risk approve by a regulator of another organisation)",
        )
    hashes = [declarations_.declaration_hash(r) for r in declarations_.rows(frame)]
    key = decisions_.batch_key(hashes, model.id, threshold, proposer, f"{client.chain_id}:{client.risk.address}")
    found = decisions_.find_batch(key, home)
    if found is not None:
        batch = decisions_.read_batch(found)
        _check_resumed(batch, model, frame, hashes, threshold, proposer, org)
        resumed = True
    else:
        # dated by the chain's clock: after the model's approval, no later than the anchor (the audit checks both)
        at = client.chain_time()
        batch = decide(model, frame, threshold=threshold, proposer=proposer, decided_at=at, key=key, progress=progress)
        resumed = False
    batch.anchor = {
        "org": org,
        "registry": client.risk.address,
        "chainId": client.chain_id,
        **({"tx": batch.anchor["tx"]} if "tx" in batch.anchor else {}),
    }
    batch.write(home)
    root = batch.root
    if client.risk.batch(root, org).exists:
        return Anchored(batch, None, resumed)
    receipt = client.risk.anchor_decisions(root, len(batch.decisions), model.id, proposer)
    batch.anchor["tx"] = receipt.tx_hash
    batch.write(home)
    return Anchored(batch, receipt, resumed)


def _check_resumed(
    batch: decisions_.Batch,
    model: RiskModel,
    frame: pd.DataFrame,
    hashes: list[bytes],
    threshold: int,
    proposer: int,
    org: int,
) -> None:
    folder = batch.folder

    def refuse(why: str) -> None:
        raise InputError(
            "decisions",
            f"the batch folder {folder} is not this run's ({why}): move it away to decide again; nothing sent",
        )

    if batch.model_proposer != proposer or batch.anchor.get("org", org) != org:
        refuse("another proposer or organisation")
    if [d.declaration_hash for d in batch.decisions] != hashes:
        refuse("other declarations")
    scores = model.score(frame)
    for record, score in zip(batch.decisions, scores, strict=True):
        if record.model_id != model.id or record.threshold != threshold:
            refuse(f"declaration {record.declaration_id}: another model or threshold")
        if record.score != to_ppm(float(score)) or record.decision != decisions_.decide(record.score, threshold):
            refuse(f"declaration {record.declaration_id}: a score or decision the model does not give")


def summary(batch: decisions_.Batch) -> dict[str, Any]:
    inspect = sum(1 for d in batch.decisions if d.decision == INSPECT)
    return {"decisions": len(batch.decisions), "inspect": inspect, "release": len(batch.decisions) - inspect}
