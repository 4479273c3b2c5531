"""``tradechain epcis``: EPCIS 2.0 documents as others read them (no chain needed)."""

from __future__ import annotations

from pathlib import Path

import click

from tradechain.cli.common import Run, command, echo
from tradechain.formats import epcis


@click.group("epcis")
def group() -> None:
    """EPCIS 2.0 documents: the CBV 2.0 event hash IDs other systems compute."""


@command(group, "hash")
@click.argument("file", type=click.Path(path_type=Path))
def hash_(run: Run, file: Path) -> None:
    """The CBV 2.0 event hash ID (ni:///sha-256;...?ver=CBV2.0) of each event of an EPCIS 2.0 JSON/JSON-LD
    document (EPCISDocument or EPCISQueryDocument), in event order, by GS1's reference implementation; the
    document is validated whole first, as `trace import` does. An event the reference cannot hash shows null."""
    events = epcis.read_document(file)
    data = [{"index": e.index, "hash": e.cbv_hash or None} for e in events]

    def text() -> None:
        for e in events:
            echo(f"{e.index} {e.cbv_hash or '(the CBV 2.0 reference implementation cannot hash this event)'}")

    run.emit(data, text)
