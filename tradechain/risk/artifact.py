"""The portable model artifact: one ONNX file that onnxruntime runs, carrying in its metadata the featurizer's
tables and the LightGBM booster that TreeSHAP explains. The model id is the SHA-256 of the file's bytes, so the id
names everything a replay needs, and one file moves between the officer, the model store and the auditor.

A model directory (``risk train --out DIR``) holds ``model.onnx`` and ``card.json``, the model card: what the model
reads, the training data's Merkle root over row hashes, the validation metrics and baselines, the threshold, the code
commit and the library versions. The card's keccak-256 is what ``RiskRegistry`` records beside the model id."""

from __future__ import annotations

import functools
import hashlib
import json
import platform
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tradechain.errors import InputError
from tradechain.formats import canonical
from tradechain.risk.features import FEATURES, Featurizer
from tradechain.risk.files import write_whole

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from tradechain.risk.training import Trained

MODEL_FILE, CARD_FILE = "model.onnx", "card.json"
SCHEMA = "tradechain.risk/1"
CARD_SCHEMA = "tradechain.risk.model-card/1"
ONNX_OPSET = 15
SCALE = 1_000_000
"""Scores and thresholds on chain: millionths (0 to 1,000,000)."""
LIBRARIES = ("lightgbm", "onnx", "onnxruntime", "onnxmltools", "scikit-learn", "shap", "numpy", "pandas")
_META_FEATURIZER, _META_BOOSTER, _META_SCHEMA = "tradechain.featurizer", "tradechain.booster", "tradechain.schema"
_META_THRESHOLD = "tradechain.threshold"


def model_id(data: bytes) -> bytes:
    """The id of an artifact: SHA-256 of its bytes."""
    return hashlib.sha256(data).digest()


def to_ppm(score: float) -> int:
    """A probability as millionths, rounded half to even (as the chain records it)."""
    return round(float(score) * SCALE)


def build(trained: Trained) -> bytes:
    """The ONNX artifact of a trained model (deterministic: the same model gives the same bytes)."""
    import onnxmltools
    from onnxmltools.convert.common.data_types import FloatTensorType

    onnx_model = onnxmltools.convert_lightgbm(
        trained.booster,
        name="tradechain-risk",
        initial_types=[("features", FloatTensorType([None, len(FEATURES)]))],
        zipmap=False,
        target_opset=ONNX_OPSET,
    )
    # The converter lists its opsets in the order its registry was filled, which depends on what the process
    # imported before (scikit-learn's converters or not): sorted, the same model gives the same bytes anywhere.
    opsets = sorted((o.domain, o.version) for o in onnx_model.opset_import)
    del onnx_model.opset_import[:]
    for domain, version in opsets:
        entry = onnx_model.opset_import.add()
        entry.domain, entry.version = domain, version
    onnx_model.producer_name, onnx_model.producer_version = "tradechain", _version()
    onnx_model.doc_string = "tradechain customs risk model: P(fraud) of a declaration"
    meta = {
        _META_SCHEMA: SCHEMA,
        _META_FEATURIZER: trained.featurizer.dumps(),
        _META_BOOSTER: trained.booster.model_to_string(),
        _META_THRESHOLD: repr(trained.threshold),
    }
    del onnx_model.metadata_props[:]
    for key, value in sorted(meta.items()):
        prop = onnx_model.metadata_props.add()
        prop.key, prop.value = key, value
    return bytes(onnx_model.SerializeToString(deterministic=True))


def card(
    trained: Trained, data: bytes, *, data_root: bytes, source: str, created: datetime | None = None
) -> dict[str, Any]:
    """The model card of an artifact."""
    when = (created or datetime.now(UTC)).replace(microsecond=0)
    lightgbm = trained.metrics["lightgbm"]
    return {
        "schema": CARD_SCHEMA,
        "modelId": "0x" + model_id(data).hex(),
        "artifactBytes": len(data),
        "family": f"lightgbm (ONNX TreeEnsembleClassifier, opset {ONNX_OPSET})",
        "target": "Fraud (an attempt to reduce the duty): the probability, 0 to 1",
        "features": list(FEATURES),
        "training": {
            "source": source,
            "rows": trained.train_rows,
            "dataRoot": "0x" + data_root.hex(),
            "rowHash": "keccak256 of the canonical JSON of the row's 22 columns as text",
        },
        "validation": {"rows": trained.valid_rows, "metrics": lightgbm},
        "baselines": {name: trained.metrics[name] for name in trained.metrics if name != "lightgbm"},
        "threshold": {"score": trained.threshold, "ppm": to_ppm(trained.threshold), "inspectionRate": 0.10},
        "seconds": trained.seconds,
        "code": {"tradechain": _version(), "commit": _commit()},
        "libraries": {name: _library(name) for name in LIBRARIES},
        "python": platform.python_version(),
        "createdAt": when.isoformat().replace("+00:00", "Z"),
    }


def card_hash(card_: dict[str, Any]) -> bytes:
    """keccak-256 of the card's canonical JSON: what ``RiskRegistry.proposeModel`` records."""
    return canonical.json_hash(card_, "card")


def write(directory: Path, data: bytes, card_: dict[str, Any]) -> None:
    """A model directory: ``model.onnx`` and ``card.json`` (written whole, then renamed: a crash leaves none)."""
    directory.mkdir(parents=True, exist_ok=True)
    write_whole(directory / MODEL_FILE, data)
    write_whole(directory / CARD_FILE, (json.dumps(card_, indent=2) + "\n").encode())


def _version() -> str:
    from tradechain import __version__

    return __version__


@functools.cache
def _commit() -> str:
    from tradechain.chain import project

    found = project.checkout()
    if found is None:
        return ""
    try:
        out = subprocess.run(["git", "-C", str(found), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.SubprocessError):
        return ""
    return out.stdout.strip() if out.returncode == 0 else ""


def _library(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return ""


@dataclass
class RiskModel:
    """A loaded artifact: scores declarations with onnxruntime, explains them with TreeSHAP."""

    data: bytes
    featurizer: Featurizer
    threshold: float
    _session: Any
    _booster_text: str
    card: dict[str, Any] | None = None

    @property
    def id(self) -> bytes:
        return model_id(self.data)

    @property
    def id_hex(self) -> str:
        return "0x" + self.id.hex()

    @classmethod
    def from_bytes(cls, data: bytes, *, field: str = "model", card: dict[str, Any] | None = None) -> RiskModel:
        import onnx
        import onnxruntime as ort

        try:
            proto = onnx.load_model_from_string(data)
        except Exception:
            raise InputError(field, "is not an ONNX model") from None
        meta = {p.key: p.value for p in proto.metadata_props}
        if meta.get(_META_SCHEMA) != SCHEMA:
            raise InputError(field, f"is not a tradechain risk model ({SCHEMA})")
        try:
            featurizer = Featurizer.from_json(json.loads(meta[_META_FEATURIZER]))
            threshold = float(meta[_META_THRESHOLD])
        except (KeyError, ValueError, TypeError) as exc:
            raise InputError(field, f"has unreadable featurizer tables ({exc})") from None
        options = ort.SessionOptions()
        # One thread, run sequentially: onnxruntime sums a tree ensemble in an order that depends on its threads
        # and the batch (with two, a row scored in a batch of 50 differs in its last bits from the row alone). With
        # one, a declaration scores the same alone as in any batch: a replay gives the recorded score bit for bit.
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.log_severity_level = 3
        session = ort.InferenceSession(data, options, providers=["CPUExecutionProvider"])
        return cls(data, featurizer, threshold, session, meta.get(_META_BOOSTER, ""), card)

    @classmethod
    def load(cls, directory: Path, field: str = "model") -> RiskModel:
        """A model directory (``model.onnx`` and, if there, ``card.json``), or an ``.onnx`` file."""
        path = directory / MODEL_FILE if directory.is_dir() else directory
        if not path.is_file():
            raise InputError(field, f"must be a model directory holding {MODEL_FILE} or an .onnx file", str(directory))
        data = path.read_bytes()
        card_path = path.parent / CARD_FILE
        card_ = json.loads(card_path.read_text()) if card_path.is_file() else None
        model = cls.from_bytes(data, field=field, card=card_)
        if card_ is not None and card_.get("modelId") != model.id_hex:
            raise InputError(field, f"{CARD_FILE} describes another model ({card_.get('modelId')})", str(directory))
        return model

    def features(self, frame: pd.DataFrame) -> np.ndarray:
        return self.featurizer.transform(frame)

    def score_matrix(self, matrix: np.ndarray) -> np.ndarray:
        """P(fraud) of each row of a feature matrix, as onnxruntime computes it (float32)."""
        outputs = self._session.run(["probabilities"], {"features": matrix.astype("float32")})
        scores: np.ndarray = outputs[0][:, 1]
        return scores

    def score(self, frame: pd.DataFrame, batch: int = 50_000) -> np.ndarray:
        """P(fraud) of each declaration."""
        import numpy as np

        parts = [self.score_matrix(self.features(frame.iloc[i : i + batch])) for i in range(0, len(frame), batch)]
        return np.concatenate(parts) if parts else np.zeros(0, dtype="float32")

    @functools.cached_property
    def booster(self) -> Any:
        import lightgbm as lgb

        if not self._booster_text:
            raise InputError("model", "carries no booster to explain")
        return lgb.Booster(model_str=self._booster_text)

    @functools.cached_property
    def explainer(self) -> Any:
        import shap

        return shap.TreeExplainer(self.booster)
