"""Helpers for ``brownie run`` scripts: they run on Brownie's active network but act through the SDK."""

from __future__ import annotations

import os
import sys

from tradechain.client import Client, connect


def active_rpc_url() -> str | None:
    """The RPC URL of Brownie's active network, if Brownie is loaded and connected."""
    brownie = sys.modules.get("brownie")
    if brownie is None:
        return None
    network = brownie.network
    if not network.is_connected():
        return None
    return str(network.web3.provider.endpoint_uri)


def script_client(account: str | None = None) -> Client:
    """An SDK client on Brownie's network (else ``$TRADECHAIN_RPC_URL`` or the local chain), signing as
    ``account`` (default ``$TRADECHAIN_ACCOUNT`` or the dev admin)."""
    name = account or os.environ.get("TRADECHAIN_ACCOUNT") or "admin"
    return connect(rpc_url=active_rpc_url(), account=name)
