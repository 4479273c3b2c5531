"""A portal seen from outside: publishing to it (the brand's serial lists, its delegates, certificate
descriptions) and asking it for the proof of a pack (:class:`ResolverProofs`, the proof source of
``tradechain verify --resolver URL``)."""

from __future__ import annotations

from typing import Any

import httpx

from tradechain.client import Client
from tradechain.errors import InputError, TradechainError
from tradechain.formats import serials
from tradechain.portal.proofs import delegate_message, publish_message

TIMEOUT = 30.0


class PortalError(TradechainError):
    """The portal refused a request, or could not be reached: the message is its one line."""


def _answer(response: httpx.Response) -> Any:
    try:
        body = response.json()
    except ValueError:
        body = None
    if response.status_code >= 400:
        detail = body.get("detail") if isinstance(body, dict) else response.text[:200]
        raise PortalError(f"the portal answered {response.status_code}: {detail}")
    return body


def _post(url: str, path: str, body: dict[str, Any]) -> Any:
    try:
        return _answer(httpx.post(url.rstrip("/") + path, json=body, timeout=TIMEOUT))
    except httpx.HTTPError as exc:
        raise PortalError(f"the portal at {url} cannot be reached: {exc}") from None


def _sign(client: Client, message: str) -> str:
    from eth_account.messages import encode_defunct

    client.require_signer()
    assert client.signer is not None
    signed = client.signer.sign_message(encode_defunct(text=message))
    return "0x" + bytes(signed.signature).hex()


def publish_serials(url: str, client: Client, batch: serials.SerialBatch) -> dict[str, Any]:
    """Publishes one commissioning's serial list to the portal at ``url``, signed by ``client``'s signer (an
    account of the lot's owner, of the GTIN's owner or of a delegate). Idempotent: publishing it again changes
    nothing (``new`` is False)."""
    message = publish_message(client.chain_id, client.products.address, batch.batch, batch.serials)
    body = {
        "batch": batch.batch,
        "gtin": batch.gtin,
        "lot": batch.lot,
        "serials": list(batch.serials),
        "signature": _sign(client, message),
    }
    result: dict[str, Any] = _post(url, "/api/serials", body)
    return result


def delegate(url: str, client: Client, gtin: str, organisation: int, *, revoke: bool = False) -> dict[str, Any]:
    """Lets (``revoke``: stops) ``organisation`` publish the serial lists of ``gtin`` on the portal; signed by an
    account of the GTIN's owner, with the time it signs (the portal refuses a replayed or stale delegation)."""
    import time

    signed_at = time.time_ns() // 1_000_000
    message = delegate_message(client.chain_id, client.products.address, gtin, organisation, revoke, signed_at)
    body = {
        "gtin": gtin,
        "organisation": organisation,
        "revoke": revoke,
        "signedAt": signed_at,
        "signature": _sign(client, message),
    }
    result: dict[str, Any] = _post(url, "/api/serials/delegates", body)
    return result


def publish_metadata(url: str, rows: list[tuple[int, dict[str, Any]]]) -> dict[str, Any]:
    """Publishes certificate descriptions (certificate id, metadata); the portal keeps those whose hash is on
    chain."""
    body = {"certificates": [{"certificate": f"0x{t:064x}", "metadata": m} for t, m in rows]}
    result: dict[str, Any] = _post(url, "/api/certificates/metadata", body)
    return result


class ResolverProofs:
    """The proof of a pack, asked of a portal (``tradechain verify --resolver URL``): the asker names the GTIN and
    serial it holds; the portal answers that one proof or 404. A :class:`~tradechain.formats.serials.ProofSource`."""

    def __init__(self, url: str, local: serials.ProofSource | None = None) -> None:
        if not url.startswith(("http://", "https://")):
            raise InputError("resolver", "is the portal's http(s) URL", url)
        self.url = url.rstrip("/")
        self.local = local if local is not None else serials.LocalStore()
        self._batches: dict[str, set[str]] = {}

    def proof(self, gtin: str, serial: str) -> serials.SerialProof | None:
        found = self.local.proof(gtin, serial)
        if found is not None:
            return found
        from urllib.parse import quote

        try:
            response = httpx.get(f"{self.url}/api/proofs/01/{gtin}/21/{quote(serial, safe='')}", timeout=TIMEOUT)
        except httpx.HTTPError as exc:
            raise PortalError(f"the resolver at {self.url} cannot be reached: {exc}") from None
        body = response.json() if response.headers.get("content-type", "").endswith("json") else {}
        if isinstance(body, dict) and isinstance(body.get("batches"), list):
            self._batches[gtin] = {str(b).lower() for b in body["batches"]}
        if response.status_code == 404:
            return None
        _answer(response)
        try:
            return serials.SerialProof.from_json(body)
        except (ValueError, KeyError, TypeError) as exc:
            raise PortalError(f"the resolver at {self.url} answered a malformed proof ({exc})") from None

    def batches(self, gtin: str) -> set[str]:
        return self.local.batches(gtin) | self._batches.get(gtin, set())
