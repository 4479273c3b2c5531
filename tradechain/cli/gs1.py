"""``tradechain gs1``: GS1 identifiers as scanners and URIs carry them (no chain needed)."""

from __future__ import annotations

import click

from tradechain.cli.common import Run, command, echo
from tradechain.formats import gs1


@click.group("gs1")
def group() -> None:
    """GS1 identifiers: parse and print element strings and Digital Link URIs."""


@command(group, "parse")
@click.argument("value")
@click.option("--domain", default="https://id.gs1.org", show_default=True, help="Domain of the printed Digital Link.")
def parse(run: Run, value: str, domain: str) -> None:
    """Parse VALUE: an element string, bracketed ``(01)...(21)...`` or raw with FNC1/GS separators, or a GS1
    Digital Link URI on any domain, with or without an AIM symbology identifier (]C1, ]e0, ]d2, ]Q3, ]J1; ]Q1/]d1
    in front of a Digital Link; ]E0, ]E4, ]I1 for a GTIN). Prints gtin, serial, lot, expiry (YYYY-MM-DD), sscc,
    gln, ..., and every other AI of the GS1 General Specifications under ``ais`` (AI -> value)."""
    ids = gs1.parse_any(value)
    data = ids.to_json()

    def text() -> None:
        for key, val in data.items():
            if key != "ais":
                echo(f"{key:8} {val}")
        for ai, val in ids.ais.items():
            echo(f"{'ai ' + ai:8} {val} ({gs1.ai_title(ai)})")
        echo(f"{'element':8} {ids.element_string()}")
        if ids.gtin or ids.sscc or ids.gln:
            echo(f"{'link':8} {ids.digital_link(domain)}")

    run.emit(data, text)
