"""What every command shares: :func:`command` (the chain options, the signer, ``--json``, error handling, once),
output (text or ``--json``), safe text, files a member gives."""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import json
import os
import re
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeVar

import click
from rich.console import Console

from tradechain.chain import project
from tradechain.chain.tx import Receipt
from tradechain.client import Client, connect
from tradechain.errors import ERROR_KINDS, ExitCode, InputError, TradechainError, verdict_exit
from tradechain.formats import canonical
from tradechain.formats.values import file_hash

if TYPE_CHECKING:
    from tradechain.indexer import Store

F = TypeVar("F", bound=Callable[..., Any])
Chain = Literal["read", "send"]

DB_HELP = "Index database. [default: .tradechain/index-<chainId>.db]"


def _shared_options(chain: Chain | None, index: bool) -> list[click.Parameter]:
    """The options :func:`command` adds, in the order ``--help`` lists them: ``--db``; ``--account`` and
    ``--confirmations`` (a command that sends); ``--network``, ``--rpc-url`` (a chain command); ``--json``."""
    options: list[click.Parameter] = []
    if index:
        options.append(click.Option(["--db"], type=click.Path(dir_okay=False, path_type=Path), help=DB_HELP))
    if chain == "send":
        options.append(
            click.Option(
                ["--account", "account"],
                envvar="TRADECHAIN_ACCOUNT",
                metavar="NAME",
                help="Signer: a keystore name, or on the local chain a dev role (admin, brand, carrier, ...). "
                "Default on the local chain: admin. Password from $TRADECHAIN_PASSWORD or a prompt.",
            )
        )
        options.append(
            click.Option(
                ["--confirmations"],
                type=click.IntRange(1, 64),
                default=1,
                show_default=True,
                help="Blocks to wait for after inclusion.",
            )
        )
    if chain is not None:
        options.append(
            click.Option(
                ["--network", "network_name"],
                metavar="NAME",
                help="Named network: 'local' (default) or one from networks.yaml.",
            )
        )
        options.append(
            click.Option(
                ["--rpc-url"],
                metavar="URL",
                help="JSON-RPC URL of any EVM node (overrides --network). [env: TRADECHAIN_RPC_URL]",
            )
        )
    options.append(click.Option(["--json", "as_json"], is_flag=True, help="Print machine-readable JSON on stdout."))
    return options


@dataclasses.dataclass
class Run:
    """One run of a command: its output mode and, for a chain command, the chain options it was given. The client
    is opened when the command first asks for it, after its inputs are checked: a bad input never connects."""

    as_json: bool
    chain: Chain | None = None
    network_name: str | None = None
    rpc_url: str | None = None
    account: str | None = None
    confirmations: int = 1
    db: Path | None = None
    _client: Client | None = dataclasses.field(default=None, repr=False)

    def client(self) -> Client:
        """The connected client; for a command that sends, with its signer (``--account``, or ``admin`` on the
        local chain)."""
        if self._client is None:
            send = self.chain == "send"
            self._client = open_client(self.network_name, self.rpc_url, self.account, self.confirmations, signer=send)
        return self._client

    def client_signing_as(self, account: str | None) -> Client:
        """The client with the signer ``account`` (or ``admin`` on the local chain), for a reading command with an
        ``--account`` of its own (``trace import``)."""
        self._client = open_client(self.network_name, self.rpc_url, account, self.confirmations, signer=True)
        return self._client

    def index(self) -> Store:
        """The index of this chain (``--db``), brought up to date."""
        return synced_index(self.client(), self.db)

    def emit(self, data: Any, text: str | Callable[[], None]) -> None:
        """:func:`emit` with this run's ``--json``."""
        emit(self.as_json, data, text)

    def verdict(self, verdict: str, data: Any, text: str | Callable[[], None]) -> None:
        """The output of a verifying command: ``data`` or ``text`` on stdout, then the exit code of ``verdict``
        (:data:`tradechain.errors.VERDICTS`: 0 genuine, valid or clean; 3 to 6 a negative verdict)."""
        self.emit(data, text)
        exit_with_verdict(verdict)

    def sent(self, receipt: Receipt, data: dict[str, Any], text: str) -> None:
        """The output of a command that sent ``receipt``'s transaction: ``data`` with its hash, block and gas
        (:func:`tx_json`), or ``text`` then ``; tx 0x… (block N, gas G)`` (:func:`tx_text`)."""
        self.emit({**data, **tx_json(receipt)}, f"{text}; {tx_text(receipt)}")

    def progress(self, total: int, label: str) -> contextlib.AbstractContextManager[Callable[[int, int], None]]:
        """:func:`progress_bar`, hidden with ``--json``."""
        return progress_bar(total, label, quiet=self.as_json)


def command(
    parent: click.Group | None,
    name: str,
    *,
    chain: Chain | None = None,
    index: bool = False,
    shared_first: bool = False,
) -> Callable[[Callable[..., None]], click.Command]:
    """A command ``name`` (of ``parent``, if given) whose function takes a :class:`Run` first, then its own
    arguments and options. It adds the options every command shares (:func:`_shared_options`: ``--json``; with
    ``chain`` "read" ``--network`` and ``--rpc-url``, with "send" ``--account`` and ``--confirmations`` too; with
    ``index`` ``--db``), listed after the command's own options, or before them with ``shared_first``; and its
    failures end as :func:`handle_errors` says (one line on stderr, the exit code of the error; with ``--json`` that
    line is a JSON object, usage errors included)."""

    def decorate(f: Callable[..., None]) -> click.Command:
        own: list[click.Parameter] = list(reversed(f.__dict__.pop("__click_params__", [])))
        shared = _shared_options(chain, index)
        names = [p.name for p in shared]

        @functools.wraps(f)
        def callback(**kwargs: Any) -> None:
            values = {n: kwargs.pop(n) for n in names if n is not None}
            f(Run(chain=chain, **values), **kwargs)

        params = shared + own if shared_first else own + shared
        cmd = click.command(name, cls=JsonAwareCommand, params=params)(handle_errors(callback))
        if parent is not None:
            parent.add_command(cmd)
        return cmd

    return decorate


def open_client(
    network_name: str | None,
    rpc_url: str | None,
    account: str | None = None,
    confirmations: int = 1,
    *,
    signer: bool = False,
) -> Client:
    client = connect(network_name, rpc_url, confirmations=confirmations)
    if signer:
        name = account or ("admin" if client.chain_id == project.DEV_CHAIN_ID else None)
        if name is None:
            raise InputError("account", "this command sends a transaction: give --account NAME (a keystore)")
        client.use_account(name)
    return client


def file_digest(path: Path | None, field: str) -> bytes:
    """The hash that goes on chain of an off-chain file a member names (a report, a record, lot data): its
    :func:`~tradechain.formats.values.file_hash`, or 32 zero bytes without one. A missing file is an InputError
    naming ``field``."""
    if path is None:
        return b"\0" * 32
    if not path.is_file():
        raise InputError(field, "file not found", str(path))
    return file_hash(path.read_bytes())


def read_json_file(path: Path, field: str) -> Any:
    """A JSON file a member or a user gives (an acknowledgment, escrow terms), read by the safe loader
    (:func:`tradechain.formats.canonical.read_file`): missing, empty, too large, not JSON, a key given twice, NaN, too
    deep or too long a number is an InputError naming ``field`` (and the path inside the file)."""
    if not path.is_file():
        raise InputError(field, "not found", str(path))
    try:
        return canonical.read_file(path, field)
    except canonical.JsonSyntaxError as exc:
        where = f"{exc.msg}, line {exc.lineno}" if exc.lineno else exc.detail
        raise InputError(field, f"not JSON ({where})", str(path)) from None
    except InputError as exc:
        if exc.field == field and exc.rule == "is empty":
            raise InputError(field, "not JSON (the file is empty)", str(path)) from None
        raise


def synced_index(client: Client, db: Path | None) -> Store:
    """The index of this chain's deployment, brought up to date (an incremental sync)."""
    from tradechain import indexer

    return indexer.synced(client, db)


# What a terminal would act on rather than show: C0 controls (escape sequences start with ESC), DEL, C1 controls
# (U+009B is a CSI on its own), and the bidirectional overrides and isolates, which reorder the text shown.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_UNSAFE_BUT_NEWLINE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
MAX_MESSAGE = 1_000  # characters of an error line: a value from a file can be megabytes long


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return {9: "\\t", 10: "\\n", 13: "\\r"}.get(code) or (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")


def shown(value: object) -> str:
    """``value`` as text safe to print: every control character escaped (``\\x1b``, ``\\n``, ``\\u202e``).
    For strings from the chain or from a member's file (a trade id, a lot number, an EPCIS field) put into output."""
    return _UNSAFE.sub(_escape, str(value))


def safe_text(text: str) -> str:
    """Output text with control characters escaped but its own line breaks kept (see :func:`shown`)."""
    return _UNSAFE_BUT_NEWLINE.sub(_escape, text)


def echo(text: str = "", *, err: bool = False) -> None:
    """``click.echo`` of output text, control characters escaped (:func:`safe_text`)."""
    click.echo(safe_text(text), err=err)


def json_text(data: Any) -> str:
    """``data`` as indented JSON for stdout: ASCII only (every control and non-ASCII character escaped), numbers
    as written (:class:`~tradechain.formats.canonical.JsonNumber`), other objects as their text."""
    return canonical.dumps(data, "output", sort_keys=False, indent=2, ensure_ascii=True, default=str)


def emit(as_json: bool, data: Any, text: str | Callable[[], None]) -> None:
    """Prints ``data`` as JSON, or ``text`` (a string, or a function that prints: it should use :func:`echo`).
    Control characters in text output are escaped: a string from the chain or a member's file cannot move the
    cursor, rewrite a line or change the terminal."""
    if as_json:
        click.echo(json_text(data))
    elif callable(text):
        text()
    else:
        echo(text)


def tx_json(receipt: Receipt) -> dict[str, Any]:
    return {"txHash": receipt.tx_hash, "block": receipt.block_number, "gasUsed": receipt.gas_used}


def tx_text(receipt: Receipt) -> str:
    return f"tx {receipt.tx_hash} (block {receipt.block_number}, gas {receipt.gas_used:,})"


@contextlib.contextmanager
def progress_bar(total: int, label: str, *, quiet: bool = False) -> Iterator[Callable[[int, int], None]]:
    """A progress bar on stderr for long work (hidden with --json or when stderr is not a terminal)."""
    if quiet or total < 1 or not sys.stderr.isatty():
        yield lambda done, total: None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    with Progress(
        TextColumn(label),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as bar:
        task = bar.add_task(label, total=total)
        yield lambda done, total: bar.update(task, completed=done, total=total)


def fail(message: str, code: int, *, as_json: bool = False, error: dict[str, Any] | None = None) -> None:
    """One line on stderr, control characters escaped and at most :data:`MAX_MESSAGE` characters, and exit with
    ``code``. With ``as_json``: that line is one JSON object, ``error`` (``TradechainError.to_json``; else built from
    ``message`` and ``code``), ASCII only, its message cut the same way."""
    line = shown(message.replace("\r\n", " ").replace("\n", " "))
    if len(line) > MAX_MESSAGE:
        line = line[: MAX_MESSAGE - 1] + "…"
    if as_json:
        given = dict((error or {}).get("error") or {})
        body = {
            "kind": given.pop("kind", ERROR_KINDS.get(code, "error")),
            "type": given.pop("type", "Error"),
            "message": message if len(message) <= MAX_MESSAGE else message[: MAX_MESSAGE - 1] + "…",
            "exitCode": int(given.pop("exitCode", code)),
            **{k: v for k, v in given.items() if k != "message"},
        }
        if isinstance(body.get("value"), str) and len(body["value"]) > MAX_MESSAGE:
            body["value"] = body["value"][: MAX_MESSAGE - 1] + "…"
        click.echo(json.dumps({"error": body}, ensure_ascii=True, default=str), err=True)
    else:
        click.echo(f"error: {line}", err=True)
    sys.exit(code)


def exit_with_verdict(verdict: str) -> None:
    """Ends a verdict command with the exit code of its verdict (:data:`tradechain.errors.VERDICTS`): 0 for a
    genuine, valid or clean one, and the code of its class for a negative one. The verdict is printed first."""
    code = verdict_exit(verdict)
    if code != ExitCode.OK:
        sys.exit(int(code))


def handle_errors(f: F) -> F:
    """Every failure ends in one line on stderr and a non-zero exit code, never a traceback (unless
    ``TRADECHAIN_DEBUG`` is set). With ``--json`` that line is a JSON object ``{"error": {...}}``."""

    @functools.wraps(f)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        as_json = bool(kwargs.get("as_json"))
        try:
            return f(*args, **kwargs)
        except TradechainError as exc:
            if os.environ.get("TRADECHAIN_DEBUG"):
                raise
            fail(exc.user_message, exc.exit_code, as_json=as_json, error=exc.to_json())
        except (click.ClickException, click.exceptions.Exit, click.Abort, SystemExit):
            raise
        except KeyboardInterrupt:
            fail("interrupted", ExitCode.INTERRUPTED, as_json=as_json)
        except Exception as exc:  # a bug or an unexpected node answer: still one line
            if os.environ.get("TRADECHAIN_DEBUG"):
                raise
            fail(
                f"unexpected {type(exc).__name__}: {' '.join(str(exc).split())[:300]} "
                "(set TRADECHAIN_DEBUG=1 for a traceback)",
                ExitCode.REFUSED,
                as_json=as_json,
                error={"error": {"kind": "error", "type": type(exc).__name__, "exitCode": int(ExitCode.REFUSED)}},
            )

    return wrapper  # type: ignore[return-value]


class JsonAwareCommand(click.Command):
    """A command whose usage errors (a missing option, a value out of range), with ``--json`` among its
    arguments, are one JSON object on stderr too (exit code 2), like its other errors."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        own = args[: args.index("--")] if "--" in args else list(args)  # a copy: click's parser consumes args
        try:
            return super().parse_args(ctx, args)
        except click.UsageError as exc:
            if "--json" not in own:
                raise
            from tradechain.cli.main import OneLineUsageError

            message = OneLineUsageError.of(exc).format_message()
            field = ""
            if isinstance(exc, click.BadParameter) and exc.param is not None:
                names = [o for o in exc.param.opts if o.startswith("--")] or exc.param.opts
                field = (names[0] if names else exc.param.name or "").lstrip("-").lower()
            elif isinstance(exc, click.NoSuchOption):
                field = exc.option_name
            rule = message[len(field) + 2 :] if field and message.startswith(f"{field}: ") else message
            error = {"kind": "bad-input", "type": "UsageError", "exitCode": 2, "field": field or None, "rule": rule}
            fail(message, ExitCode.BAD_INPUT, as_json=True, error={"error": error})
            raise  # not reached: fail exits


# ---------------------------------------------------------------------------------------------- readable output


def when(seconds: int | None) -> str:
    """A Unix time as every output shows it, ISO 8601 in UTC (``2030-06-30T23:59:59Z``); ``-`` for none (0)."""
    from tradechain.chain.reverts import iso_time

    return iso_time(seconds) if seconds else "-"


def org_name(client: Client, organisation: int) -> str:
    """An organisation as outputs name it: ``Acme Tuna Co (org 13)`` from its verified profile, ``org 13 (profile
    unverified)``, ``org 13`` (no profile kept here), ``nobody`` for 0 (``participants.display_name``)."""
    return client.participants.display_name(organisation)


# ---------------------------------------------------------------------------------------------- files written


def check_new_file(path: Path, field: str) -> None:
    """Refuses (before anything is sent) an output file that exists already (never overwritten) or whose folder
    does not exist."""
    if path.exists() or path.is_symlink():
        raise InputError(field, "exists already: it is never overwritten (name a new file)", str(path))
    folder = path.parent
    if not folder.is_dir():
        raise InputError(field, "its folder does not exist", str(path))
    if not os.access(folder, os.W_OK | os.X_OK):
        raise InputError(field, "its folder is not writable by you", str(path))


def write_new_file(path: Path, data: bytes, *, mode: int, field: str) -> None:
    """Writes ``data`` to the new file ``path`` whole or not at all: into a temporary file of the same folder
    (created with ``mode`` from the start), flushed to disk, then linked to ``path``, which is never overwritten
    (a file created there meanwhile is refused). A crash leaves at most a hidden ``.NAME.*.tmp`` file."""
    import tempfile

    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")  # created 0600
    try:
        with os.fdopen(fd, "wb") as fh:
            os.fchmod(fh.fileno(), mode)
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        try:
            try:
                os.link(tmp, path)  # fails if path exists: no overwrite, even against a race
            except FileExistsError:
                raise
            except OSError:  # a file system without hard links: create it exclusively, then move the whole file in
                os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode))
                os.replace(tmp, path)
        except FileExistsError:
            raise InputError(field, "exists already: it is never overwritten (name a new file)", str(path)) from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
