"""`tradechain deploy`: a working deployment is reused, --force deploys again."""

from __future__ import annotations

import json
from pathlib import Path

from helpers import run


def test_deploy_reuses_a_working_deployment(cli_env: Path) -> None:
    result = json.loads(run("deploy", "--json").output)
    assert result["reused"] is True
    forced = json.loads(run("deploy", "--force", "--json").output)
    assert forced["reused"] is False
    assert (
        forced["contracts"]["ParticipantRegistry"]["address"] != result["contracts"]["ParticipantRegistry"]["address"]
    )
