"""Signing accounts: encrypted JSON keystores, and the well-known dev accounts of the local chain by role name.

Keys are never printed or written in plain text. The dev accounts are refused on any chain but the local one.
"""

from __future__ import annotations

import getpass
import json
import os
import re
from functools import cache
from pathlib import Path
from typing import Literal

from eth_account import Account
from eth_account.signers.local import LocalAccount

from tradechain.chain import project
from tradechain.errors import InputError, KeystoreError

Account.enable_unaudited_hdwallet_features()

DEV_MNEMONIC = "test test test test test test test test test test test junk"  # Anvil's default, public
# Role names of the dev accounts (index in Anvil's default mnemonic). For demos and tests on the local chain only.
DEV_ROLES = (
    "admin",
    "brand",
    "manufacturer",
    "carrier",
    "customs",
    "inspector",
    "financier",
    "regulator",
    "retailer",
    "buyer",
    "seller",
    "arbiter",
    "brand2",
    "manufacturer2",
    "carrier2",
    "financier2",
    "retailer2",
    "customer",
    "customer2",
    "outsider",
)
DEV_ACCOUNT_COUNT = len(DEV_ROLES)
PASSWORD_ENV = "TRADECHAIN_PASSWORD"
PRIVATE_KEY_ENV = "TRADECHAIN_PRIVATE_KEY"
Kdf = Literal["scrypt", "pbkdf2"]
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
_KEY = re.compile(r"(?:0[xX])?([0-9a-fA-F]{64})")
SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
KEY_RULE = "must be 32 bytes of hex: exactly 64 hex digits, optional 0x (a shorter key is never padded)"


@cache
def dev_account(role: str) -> LocalAccount:
    """The dev account of a role name (``admin``, ``brand``, ...) or index (``dev3``)."""
    if role in DEV_ROLES:
        index = DEV_ROLES.index(role)
    elif role.startswith("dev") and role[3:].isdigit() and int(role[3:]) < DEV_ACCOUNT_COUNT:
        index = int(role[3:])
    else:
        raise InputError("account", f"unknown dev account; known: {', '.join(DEV_ROLES)}", role)
    acct: LocalAccount = Account.from_mnemonic(DEV_MNEMONIC, account_path=f"m/44'/60'/0'/0/{index}")
    return acct


def is_dev_name(name: str) -> bool:
    return name in DEV_ROLES or (name.startswith("dev") and name[3:].isdigit())


def keystore_dir() -> Path:
    return Path(os.environ.get("TRADECHAIN_KEYSTORE", project.state_home() / "keystores"))


def keystore_path(name: str) -> Path:
    if not _NAME.fullmatch(name):
        raise InputError("name", "letters, digits, '.', '_' or '-', at most 64, starting with a letter or digit", name)
    return keystore_dir() / f"{name}.json"


def has_terminal() -> bool:
    """Whether a hidden prompt can be shown: a controlling terminal to open (``/dev/tty``, as getpass does), or
    elsewhere a terminal on stdin."""
    if os.name != "posix":
        import sys

        return sys.stdin is not None and sys.stdin.isatty()
    try:
        fd = os.open("/dev/tty", os.O_RDWR | os.O_NOCTTY)
    except OSError:
        return False
    os.close(fd)
    return True


def read_password(prompt: str, *, confirm: bool = False) -> str:
    """The password from $TRADECHAIN_PASSWORD, else a hidden prompt. With neither (no terminal: a script, a CI
    job, a pipe), an InputError naming the variable: getpass would fall back to echoing on stdin."""
    env = os.environ.get(PASSWORD_ENV)
    if env is not None:
        return env
    if not has_terminal():
        raise InputError("password", f"no terminal to ask for it on: set {PASSWORD_ENV}")
    password = getpass.getpass(prompt)
    if confirm and getpass.getpass("Repeat password: ") != password:
        raise InputError("password", "the two passwords differ")
    return password


def save_keystore(
    name: str, account: LocalAccount, password: str, *, kdf: Literal["scrypt", "pbkdf2"] = "scrypt"
) -> Path:
    """Encrypts the key with ``password`` into ``<keystore dir>/<name>.json`` (mode 600). Never overwrites."""
    if not password:
        raise InputError("password", "must not be empty")
    path = keystore_path(name)
    if path.exists():
        raise InputError("name", f"a keystore named {name!r} exists already ({path})", name)
    path.parent.mkdir(parents=True, exist_ok=True)
    encrypted = Account.encrypt(account.key, password, kdf=kdf)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(encrypted, fh)
    return path


def new_account(name: str, password: str) -> LocalAccount:
    acct: LocalAccount = Account.create()
    save_keystore(name, acct, password)
    return acct


def parse_private_key(text: str, field: str = "private-key") -> bytes:
    """A secp256k1 private key given as exactly 64 hex digits (optional ``0x``, surrounding whitespace ignored).

    Anything else is refused, never padded: eth-account left-pads 63 digits into another key. The value is never
    shown in the error."""
    match = _KEY.fullmatch(text.strip())
    if match is None:
        raise InputError(field, KEY_RULE)
    key = bytes.fromhex(match.group(1))
    if not 0 < int.from_bytes(key, "big") < SECP256K1_N:
        raise InputError(field, "must be 32 bytes of hex that make a secp256k1 key (not zero, below the curve order)")
    return key


def import_account(name: str, private_key: str, password: str) -> LocalAccount:
    acct: LocalAccount = Account.from_key(parse_private_key(private_key))
    save_keystore(name, acct, password)
    return acct


def load_keystore(name: str, password: str | None = None) -> LocalAccount:
    path = keystore_path(name)
    if not path.is_file():
        raise KeystoreError(f"account: no keystore named {name!r} in {keystore_dir()} (see `tradechain account list`)")
    try:
        data = json.loads(path.read_text())
    except ValueError:
        raise KeystoreError(f"account: keystore {path} is not valid JSON") from None
    if password is None:
        password = read_password(f"Password for {name}: ")
    try:
        key = Account.decrypt(data, password)
    except ValueError:
        raise KeystoreError(f"account: wrong password for keystore {name!r} (MAC mismatch)") from None
    acct: LocalAccount = Account.from_key(key)
    return acct


def list_keystores() -> list[tuple[str, str]]:
    """(name, checksummed address) of every keystore, read from the files without decrypting."""
    from eth_utils import to_checksum_address

    out: list[tuple[str, str]] = []
    folder = keystore_dir()
    if folder.is_dir():
        for path in sorted(folder.glob("*.json")):
            try:
                address: str = to_checksum_address("0x" + json.loads(path.read_text())["address"])
            except (ValueError, KeyError):
                address = "(unreadable)"
            out.append((path.stem, address))
    return out


def resolve_signer(name: str, chain_id: int, password: str | None = None) -> LocalAccount:
    """A signer by dev-role name (local chain only) or keystore name."""
    if is_dev_name(name) and not keystore_path(name).exists():
        if chain_id != project.DEV_CHAIN_ID:
            raise InputError(
                "account",
                f"dev account {name!r} is for the local chain only (chain {chain_id} is not "
                f"{project.DEV_CHAIN_ID}); use a keystore (`tradechain account new|import`)",
                name,
            )
        return dev_account(name)
    return load_keystore(name, password)
