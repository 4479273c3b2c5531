"""``tradechain``: the root command group, listing commands by role."""

from __future__ import annotations

from typing import Any

import click

from tradechain import __version__
from tradechain.cli import (
    account,
    cert,
    deploy,
    doc,
    dvp,
    ebl,
    epcis,
    escrow,
    gs1,
    invoice,
    node,
    participant,
    product,
    recall,
    risk,
    serials,
    serve,
    trace,
    tx,
    verify,
)

SECTIONS: dict[str, tuple[str, ...]] = {
    "Consortium admin and members": ("participant",),
    "Producers, carriers, inspectors, pharmacies": ("product", "trace", "recall", "epcis", "serials"),
    "Brands, owners and buyers of luxury goods": ("cert",),
    "Trade documents and finance": ("doc", "escrow", "invoice", "ebl", "dvp"),
    "Customs risk assessment and its audit": ("risk",),
    "Everyone": ("verify", "gs1", "serve"),
    "Set-up and operations": ("node", "deploy", "account", "tx"),
}


class OneLineUsageError(click.UsageError):
    """A usage error (a missing option, a value out of its range, ...) shown as every other error: one line
    ``error: FIELD: RULE`` on stderr, exit code 2, no usage block."""

    def __init__(self, field: str, rule: str, ctx: click.Context | None = None) -> None:
        super().__init__(f"{field}: {rule}" if field else rule, ctx)

    @classmethod
    def of(cls, exc: click.UsageError) -> OneLineUsageError:
        field, rule = "", exc.format_message()
        if isinstance(exc, click.BadParameter) and exc.param is not None:
            param = exc.param
            names = [o for o in param.opts if o.startswith("--")] or param.opts
            field = (names[0] if names else param.name or "").lstrip("-").lower()
            rule = "is required" if isinstance(exc, click.MissingParameter) else exc.message
        elif isinstance(exc, click.NoSuchOption):
            field, rule = exc.option_name, exc.message[0].lower() + exc.message[1:]
        rule = rule.rstrip(".").replace("\n", " ")
        command = exc.ctx.command_path if exc.ctx is not None else "tradechain"
        return cls(field, f"{rule} (see `{command} --help`)", exc.ctx)

    def show(self, file: Any = None) -> None:
        click.echo(f"error: {self.format_message()}", err=True)


class RoleGroup(click.Group):
    """Lists sub-commands in sections by role instead of one alphabetical list. Usage errors of its
    sub-commands are shown in one line, like every other error."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except OneLineUsageError:
            raise
        except click.UsageError as exc:
            raise OneLineUsageError.of(exc) from None

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        listed: set[str] = set()
        for title, names in SECTIONS.items():
            rows = []
            for name in names:
                cmd = self.get_command(ctx, name)
                if cmd is not None and not cmd.hidden:
                    rows.append((name, cmd.get_short_help_str(limit=70)))
                    listed.add(name)
            if rows:
                with formatter.section(title):
                    formatter.write_dl(rows)
        rest = [
            (n, c.get_short_help_str(limit=70))
            for n in self.list_commands(ctx)
            if n not in listed and (c := self.get_command(ctx, n)) is not None and not c.hidden
        ]
        if rest:
            with formatter.section("Other"):
                formatter.write_dl(rest)


@click.group(cls=RoleGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="tradechain")
def cli() -> None:
    """tradechain: supply-chain traceability and trade finance on any EVM chain.

    Every command takes --help, --json for scripts, and --network NAME or --rpc-url URL (default: the local
    chain started by `tradechain node start`). Errors are one line on stderr; exit code 2 means bad input.
    """


for command in (
    participant.group,
    gs1.group,
    product.group,
    trace.group,
    epcis.group,
    recall.recall,
    serials.group,
    verify.verify,
    serve.serve,
    cert.group,
    doc.group,
    escrow.group,
    ebl.group,
    dvp.group,
    invoice.group,
    risk.group,
    node.group,
    deploy.deploy,
    account.group,
    tx.group,
):
    cli.add_command(command)


def main(argv: list[str] | None = None) -> Any:
    return cli.main(args=argv, prog_name="tradechain")
