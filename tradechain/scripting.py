"""Helpers for ``brownie run`` scripts: they run on Brownie's active network but act through the SDK."""

from __future__ import annotations

import os
import sys

from tradechain.chain import network, toolchain
from tradechain.client import Client, connect


def active_rpc_url() -> str | None:
    """The RPC URL of Brownie's active network, if Brownie is loaded and connected. For ``tradechain-local``, the
    local chain's one setting (:func:`tradechain.chain.network.local_url`: ``$TRADECHAIN_PORT``, else the port
    ``tradechain node start`` last used, else 8545), whatever host Brownie registered for it."""
    brownie = sys.modules.get("brownie")
    if brownie is None:
        return None
    brownie_network = brownie.network
    if brownie_network.show_active() == toolchain.BROWNIE_NETWORK_ID:
        return network.local_url()
    if not brownie_network.is_connected():
        return None
    return str(brownie_network.web3.provider.endpoint_uri)


def script_client(account: str | None = None) -> Client:
    """An SDK client on Brownie's network (the local chain's URL for ``tradechain-local``; without Brownie
    ``$TRADECHAIN_RPC_URL`` or the local chain), signing as ``account`` (default ``$TRADECHAIN_ACCOUNT`` or the dev
    admin)."""
    name = account or os.environ.get("TRADECHAIN_ACCOUNT") or "admin"
    return connect(rpc_url=active_rpc_url(), account=name)
