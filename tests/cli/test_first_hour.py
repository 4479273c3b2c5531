"""README's "Your first hour", run as written: every line of its ```sh blocks, through the CLI (click's CliRunner,
as ``helpers.run``), on the test chain after the demo (``scripts/demo.py``, which ``make demo`` runs).

How the section is read (its opening paragraph tells the reader the same):

- The section runs from ``## Your first hour`` to the next ``## `` heading. Its first ```sh block, before any
  ``### `` heading, holds the shared lines, run first in every test; each ``### ROLE`` subsection holds one block,
  run in order in a test of its own (its own chain snapshot). A role of ``PREREQUISITES`` runs those roles' blocks
  first (the second bank's story follows the financier's).
- A line ending in ``\\`` continues on the next. A comment starts at a ``#`` after white space, outside quotes. Its
  ``exit N`` is the exit code the line must end with (none: 0), and each verdict word of ``VERDICT_WORDS`` it names
  must be in the line's output (stdout or stderr).
- Lines understood: ``make demo`` (the ``demo`` fixture ran it), ``source .venv/bin/activate`` (nothing to do in
  process), the ``field`` function (exactly ``FIELD``; emulated: prints one top-level key of the JSON on stdin),
  ``export NAME=VALUE`` (a literal value), ``[export ]NAME=$(tradechain ARGS | field KEY)`` (runs ARGS and keeps
  the KEY of its JSON output as ``$NAME``; with ``export`` it is in the environment of the later lines too), and
  ``tradechain ARGS``. A ``$NAME`` in ARGS is replaced by the value an earlier line of the test kept (a name never
  kept fails). Any other line fails the test: the README would then say something this test does not check.
- The commands run in a temporary folder holding a copy of the checkout's ``examples/``: the files they name must
  be in the repository (or written by an earlier line), and what they write stays out of the checkout.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from helpers import free_port, run

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
SECTION = "## Your first hour"
ROLES = ["Brand owner", "Financier", "Pharmacist or customs officer", "Second bank"]
PREREQUISITES = {"Second bank": ["Financier"]}

FIELD = """field() { python -c "import json,sys; print(json.load(sys.stdin)['$1'])"; }"""
CAPTURE = re.compile(r"(export )?([A-Z][A-Z0-9_]*)=\$\((tradechain .+) \| field (\w+)\)")
EXPORT = re.compile(r"export ([A-Z][A-Z0-9_]*)=([^\s$`\"']+)")
NAME = re.compile(r"\$([A-Z][A-Z0-9_]*)")
EXIT = re.compile(r"\bexit (\d+)\b")
VERDICT_WORDS = (
    "NOT AUTHENTIC",
    "AUTHENTIC",
    "MISMATCH",
    "UNKNOWN",
    "VALID",
    "INVALID",
    "STOLEN",
    "LOST",
    "REVOKED",
    "RECALLED",
    "DECOMMISSIONED",
    "EXPIRED",
    "PROOF UNAVAILABLE",
    "NEAR-DUPLICATE",
)


@dataclass(frozen=True)
class Line:
    code: str  # the command, continuations joined, without its comment
    comment: str
    number: int  # where it starts in README.md

    @property
    def exit_code(self) -> int:
        found = EXIT.search(self.comment)
        return int(found.group(1)) if found else 0

    def words(self) -> list[str]:
        return [w for w in VERDICT_WORDS if _word(w).search(self.comment)]


def _word(word: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![A-Z_-]){re.escape(word)}(?![A-Z_-])")


def split_comment(text: str) -> tuple[str, str]:
    """(code, comment) of one line: the comment starts at a ``#`` at the start or after white space, outside
    quotes."""
    quote = ""
    for i, c in enumerate(text):
        if quote:
            quote = "" if c == quote else quote
        elif c in "'\"":
            quote = c
        elif c == "#" and (i == 0 or text[i - 1].isspace()):
            return text[:i].rstrip(), text[i + 1 :].strip()
    return text.rstrip(), ""


def read_section(readme: str) -> dict[str, list[Line]]:
    """The ```sh blocks of the section: {"": the shared lines, ROLE: its lines}, in README order."""
    start = readme.index(f"\n{SECTION}\n")
    end = readme.find("\n## ", start + 1)
    first = readme.count("\n", 0, start) + 2  # the README line number of the section's heading
    lines = readme[start + 1 : end if end != -1 else None].splitlines()
    blocks: dict[str, list[Line]] = {}
    heading, inside, pending, pending_comment, pending_at = "", False, "", "", 0
    for offset, raw in enumerate(lines):
        number = first + offset
        if not inside:
            if raw.startswith("### "):
                heading = raw[4:].strip()
            elif raw.strip() == "```sh":
                assert heading not in blocks, f"README.md:{number}: a second ```sh block under {heading or SECTION!r}"
                blocks[heading], inside = [], True
            continue
        if raw.strip() == "```":
            assert not pending, f"README.md:{pending_at}: a continued line ends the block"
            inside = False
            continue
        code, comment = split_comment(raw)
        if not pending:
            pending_at = number
        if code.endswith("\\"):
            pending, pending_comment = (
                pending + code[:-1].strip() + " ",
                " ".join(x for x in (pending_comment, comment) if x),
            )
            continue
        code, comment = (pending + code.strip()).strip(), " ".join(x for x in (pending_comment, comment) if x)
        pending, pending_comment = "", ""
        if code:
            blocks[heading].append(Line(code, comment, pending_at))
    assert not inside, f"{SECTION}: a ```sh block is not closed"
    return blocks


@dataclass
class Reader:
    """A reader's shell: the values kept so far and the exported environment."""

    values: dict[str, str] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)

    def expand(self, line: Line, text: str) -> list[str]:
        def value(match: re.Match[str]) -> str:
            name = match.group(1)
            assert name in self.values, f"README.md:{line.number}: ${name} was never set by an earlier line"
            return self.values[name]

        args = shlex.split(NAME.sub(value, text))
        assert args[0] == "tradechain", f"README.md:{line.number}: not a tradechain command: {text}"
        return args[1:]

    def run(self, line: Line) -> None:
        where = f"README.md:{line.number}: {line.code}"
        if line.code in ("make demo", "source .venv/bin/activate"):
            return  # the demo fixture ran `make demo`; the CLI runs in process
        if line.code == FIELD:
            return  # emulated by the captures below
        if found := EXPORT.fullmatch(line.code):
            self.values[found.group(1)] = self.env[found.group(1)] = found.group(2)
            return
        captured = CAPTURE.fullmatch(line.code)
        if captured is None and not line.code.startswith("tradechain "):
            pytest.fail(f"{where}: a line this test does not understand (see its docstring)")
        args = self.expand(line, captured.group(3) if captured else line.code)
        result = run(*args, env=self.env)
        output = result.stdout + result.stderr
        assert result.exit_code == line.exit_code, f"{where}\nexit {result.exit_code}, not {line.exit_code}:\n{output}"
        for word in line.words():
            assert _word(word).search(output), f"{where}\nthe comment says {word}, the output does not:\n{output}"
        if captured:
            exported, name, _, key = captured.groups()
            data = json.loads(result.stdout)
            assert isinstance(data, dict) and key in data, f"{where}\nno {key!r} in its JSON output:\n{output}"
            self.values[name] = str(data[key])
            if exported:
                self.env[name] = self.values[name]


# ------------------------------------------------------------------ the chain `make demo` leaves


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory, rpc_url: str) -> Iterator[Path]:
    """``make demo`` on the test chain: ``scripts/demo.py`` (its suite, members, prefixes and stories), its
    deployment recorded in a folder of this module's, its off-chain state kept apart from the checkout's."""
    from scripts.demo import main
    from tradechain.portal import server

    home = tmp_path_factory.mktemp("demo")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("TRADECHAIN_DEPLOYMENTS", str(home / "deployments"))
        env.setenv("TRADECHAIN_HOME", str(home / "home"))
        env.setenv("TRADECHAIN_SERIALS", str(home / "serials"))
        env.setenv("TRADECHAIN_PORTAL_PORT", str(free_port()))
        env.delenv("TRADECHAIN_ACCOUNT", raising=False)
        main()
        server.stop()  # the demo's portal, told and checked in tests/sdk/test_scripts.py
    yield home / "deployments"


@pytest.fixture
def reader(demo: Path, rpc_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Reader:
    """A reader at the root of a checkout after ``make demo``: the CLI on the demo's chain and suite, in a folder
    holding a copy of examples/."""
    monkeypatch.setenv("TRADECHAIN_RPC_URL", rpc_url)
    monkeypatch.setenv("TRADECHAIN_DEPLOYMENTS", str(demo))
    monkeypatch.setenv("TRADECHAIN_HOME", str(tmp_path / "home"))
    for name in ("TRADECHAIN_ACCOUNT", "TRADECHAIN_PASSWORD", "TRADECHAIN_INVOICE_KEY", "TRADECHAIN_CLAIM_SECRET"):
        monkeypatch.delenv(name, raising=False)
    work = tmp_path / "checkout"
    shutil.copytree(ROOT / "examples", work / "examples")
    monkeypatch.chdir(work)
    return Reader()


SECTION_BLOCKS = read_section(README.read_text(encoding="utf-8"))


def test_the_section_has_the_shared_lines_then_a_block_per_role() -> None:
    assert list(SECTION_BLOCKS) == ["", *ROLES]
    shared = [line.code for line in SECTION_BLOCKS[""]]
    assert shared[0] == "make demo" and FIELD in shared
    assert all(6 <= sum(1 for x in SECTION_BLOCKS[role] if "tradechain " in x.code) <= 12 for role in ROLES)


@pytest.mark.parametrize("role", ROLES)
def test_the_first_hour_of(role: str, reader: Reader) -> None:
    for name in ["", *PREREQUISITES.get(role, []), role]:
        for line in SECTION_BLOCKS[name]:
            reader.run(line)


@pytest.mark.parametrize(
    "text",
    [
        "tradechain cert verify 1:MCX-0001   # AUTHENTIC",  # never issued: NOT AUTHENTIC, exit 3
        "tradechain cert issue MCX-0002 --metadata examples/missing.json --account brand",  # no such file: exit 2
        "tradechain cert verify 1:MCX-9999   # NOT AUTHENTIC, exit 4",  # its exit code is 3
        "tradechain cert verify 1:MCX-9999   # STOLEN, exit 3",  # the exit code is right, the verdict word is not
        "tradechain cert verify $CERT",  # never set
        "cp examples/watch.json my-watch.json",  # not a line the test runs
    ],
)
def test_a_line_the_readme_gets_wrong_fails_the_test(text: str, reader: Reader) -> None:
    code, comment = split_comment(text)
    with pytest.raises((AssertionError, pytest.fail.Exception)):
        reader.run(Line(code, comment, 0))
