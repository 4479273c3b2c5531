"""Install-time set-up of the external tools: the native Anvil binary and the Solidity compiler.

``python -m tradechain.chain.toolchain setup`` (run by ``make install``) is idempotent (``... solc-path``
prints where it registers solc):

* **Anvil**: npm's ``@foundry-rs/anvil`` starts the native binary through a node wrapper. ``.tools/bin/anvil``
  links the native binary itself, so a signal (or a kill) reaches the node and not only its wrapper.
* **solc**: Brownie compiles with py-solc-x, which looks for ``solc-v<version>`` in its folder
  (``$SOLCX_BINARY_PATH`` or ``~/.solcx``). Native solc is tried first (``solcx.install_solc``); where it cannot
  be downloaded, a small executable that runs ``tools/solc/solcjs-bridge.cjs`` on the pinned npm ``solc``
  (the official wasm build) is registered under that name instead.
* **Brownie network** ``tradechain-local``: a live network at the persistent local node (``tradechain node``),
  so ``brownie run scripts/X.py --network tradechain-local`` works on its data. Its host follows the local chain's
  one setting (:func:`tradechain.chain.network.local_url`: ``$TRADECHAIN_PORT``, else the port ``tradechain node
  start`` last used, else 8545): ``... brownie-network`` (run by ``make demo`` and ``make node-start``) moves it
  there; the scripts' SDK client follows that setting on its own (:mod:`tradechain.scripting`).
"""

from __future__ import annotations

import json
import os
import platform
import shlex
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import yaml

from tradechain.chain import network, project
from tradechain.errors import InputError

BRIDGE_MARKER = "# tradechain solc-js bridge"
BROWNIE_NETWORK_ID = "tradechain-local"
LOCAL_RPC_URL = network.LOCAL_URL  # where the local chain is unless its port is set (network.local_url)


def _platform_tag() -> str:
    machine = platform.machine().lower()
    arch = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}.get(machine, machine)
    system = {"linux": "linux", "darwin": "darwin", "windows": "win32"}[platform.system().lower()]
    return f"{system}-{arch}"


def native_anvil(root: Path | None = None) -> Path | None:
    """The native Anvil binary shipped in ``node_modules`` for this platform, if installed."""
    root = root or project.root()
    candidate = root / "node_modules" / "@foundry-rs" / f"anvil-{_platform_tag()}" / "bin" / "anvil"
    return candidate if candidate.is_file() else None


def anvil_command(root: Path | None = None) -> str:
    """The command that starts Anvil: the native binary if found, else ``anvil`` on PATH."""
    root = root or project.root()
    for candidate in (root / ".tools" / "bin" / "anvil", native_anvil(root)):
        if candidate is not None and candidate.exists():
            return str(candidate)
    found = shutil.which("anvil")
    if found is None:
        raise FileNotFoundError("anvil not found: run `make install` (it installs @foundry-rs/anvil from npm)")
    return found


def link_anvil(root: Path | None = None) -> Path | None:
    root = root or project.root()
    native = native_anvil(root)
    if native is None:
        return None
    link = root / ".tools" / "bin" / "anvil"
    link.parent.mkdir(parents=True, exist_ok=True)
    if link.is_symlink() or link.exists():
        if link.resolve() == native.resolve():
            return link
        link.unlink()
    link.symlink_to(native)
    return link


def solcx_folder() -> Path:
    return Path(os.environ.get("SOLCX_BINARY_PATH", Path.home() / ".solcx"))


def solc_path(version: str) -> Path:
    return solcx_folder() / f"solc-v{version}"


def bridge_script(root: Path) -> str:
    """The ``solc`` wrapper: one ``exec`` line, every path a single-quoted word (:func:`shlex.quote`), so a
    checkout path with ``$(...)``, backticks, quotes, spaces or a newline is data, never run by the shell."""
    bridge = root / "tools" / "solc" / "solcjs-bridge.cjs"
    solc_module = root / "node_modules" / "solc"
    node = shutil.which("node") or "node"
    return (
        "#!/bin/sh\n"
        f"{BRIDGE_MARKER} (solc-js of the checkout named below; paths quoted, nothing interpolated)\n"
        f"TRADECHAIN_SOLCJS_MODULE={shlex.quote(str(solc_module))} exec {shlex.quote(node)} "
        f'{shlex.quote(str(bridge))} "$@"\n'
    )


def is_bridge(path: Path) -> bool:
    try:
        with open(path, "rb") as fh:
            return BRIDGE_MARKER.encode() in fh.read(512)
    except OSError:
        return False


def npm_solc_version(root: Path) -> str | None:
    pkg = root / "node_modules" / "solc" / "package.json"
    if not pkg.is_file():
        return None
    return str(json.loads(pkg.read_text())["version"])


def try_native_solc(version: str) -> bool:
    """Ask py-solc-x for native solc; False when it cannot be downloaded (offline)."""
    if os.environ.get("TRADECHAIN_NO_NATIVE_SOLC"):
        return False
    try:
        import solcx

        solcx.install_solc(version, show_progress=False)
        return True
    except Exception:
        return False


def register_solc(root: Path | None = None, version: str | None = None) -> tuple[Path, str]:
    """Make ``solc-v<version>`` available to py-solc-x. Returns (path, "native" | "solc-js bridge")."""
    root = root or project.root()
    version = version or project.solc_version()
    target = solc_path(version)
    if target.exists() and not is_bridge(target):
        return target, "native"
    if not target.exists() and try_native_solc(version):
        return target, "native"
    npm_version = npm_solc_version(root)
    if npm_version != version:
        raise RuntimeError(
            f"solc-js {npm_version or 'is not installed'} in node_modules, brownie-config.yaml pins {version}: "
            "run `npm ci` (package.json must pin the same exact version)"
        )
    script = os.fsencode(bridge_script(root))  # a path's bytes as they are, even when not UTF-8
    if not (target.exists() and target.read_bytes() == script):
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(".tmp")
        tmp.write_bytes(script)
        tmp.chmod(tmp.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
        tmp.replace(target)
    return target, "solc-js bridge"


def brownie_network_config() -> Path:
    """Brownie's list of networks, ``~/.brownie/network-config.yaml`` (Brownie's data folder is in the home)."""
    return Path.home() / ".brownie" / "network-config.yaml"


def brownie_network_host(config: Path | None = None) -> str | None:
    """The host Brownie's ``tradechain-local`` network points at, None if it is not registered."""
    path = config or brownie_network_config()
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError, UnicodeDecodeError):
        return None
    for group in data.get("live") or [] if isinstance(data, dict) else []:
        for entry in (group or {}).get("networks") or []:
            if isinstance(entry, dict) and entry.get("id") == BROWNIE_NETWORK_ID:
                return str(entry.get("host", ""))
    return None


def register_brownie_network(rpc_url: str | None = None) -> str:
    """Points Brownie's live network ``tradechain-local`` at ``rpc_url`` (default: the local chain,
    :func:`tradechain.chain.network.local_url`): added if missing, its host changed if it points elsewhere.
    Returns "added", "moved" or "unchanged"."""
    url = rpc_url or network.local_url()
    host = brownie_network_host()
    if host == url:
        return "unchanged"
    brownie = Path(sys.executable).parent / "brownie"
    if host is None:
        args = ["add", "Ethereum", BROWNIE_NETWORK_ID, f"host={url}", f"chainid={project.DEV_CHAIN_ID}"]
        args.append("name=tradechain local node")
    else:
        args = ["modify", BROWNIE_NETWORK_ID, f"host={url}"]
    subprocess.run([str(brownie), "networks", *args], check=True, stdout=subprocess.DEVNULL, cwd=project.root())
    return "added" if host is None else "moved"


def setup() -> None:
    root = project.root()
    link = link_anvil(root)
    path, kind = register_solc(root)
    registered = register_brownie_network()
    print(f"anvil: {link or anvil_command(root)}")
    print(f"solc {project.solc_version()}: {kind} at {path}")
    if registered != "unchanged":
        print(f"brownie network {BROWNIE_NETWORK_ID} -> {network.local_url()} ({registered})")


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args == ["solc-path"]:  # where `setup` registers solc (make lint hands it to Slither)
        print(solc_path(project.solc_version()))
        return 0
    if args not in (["setup"], ["brownie-network"]):
        print("usage: python -m tradechain.chain.toolchain setup | solc-path | brownie-network", file=sys.stderr)
        return 2
    try:
        if args == ["brownie-network"]:  # make demo, make node-start: Brownie follows the local chain's port
            url = network.local_url()
            print(f"brownie network {BROWNIE_NETWORK_ID} -> {url} ({register_brownie_network(url)})")
        else:
            setup()
    except InputError as exc:
        print(f"error: {exc.user_message}", file=sys.stderr)
        return 2
    except (RuntimeError, FileNotFoundError, subprocess.CalledProcessError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
