"""Customs risk assessment with an auditable trail: declarations, features, models (ONNX), explanations, decisions
anchored on chain (``RiskRegistry``), replay audits and federated training."""
