"""``tradechain serve``: the public verification portal and GS1 Digital Link resolver."""

from __future__ import annotations

from pathlib import Path

import click

from tradechain.cli.common import Run, command
from tradechain.portal import server


@command(None, "serve", chain="read", index=True)
@click.option("--host", default=server.DEFAULT_HOST, show_default=True, help="Interface to listen on.")
@click.option("--port", type=click.IntRange(1, 65535), default=server.DEFAULT_PORT, show_default=True)
@click.option(
    "--public-url",
    help="The base URL the portal's links and Digital Links use (its domain, as printed on packs). "
    "[default: http://HOST:PORT]",
)
@click.option(
    "--published",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The proof service's database (published serial lists, certificate descriptions). "
    "[default: .tradechain/portal/published-<chainId>.db]",
)
@click.option("--follow", is_flag=True, help="Another process keeps the index (--db) up to date: only read it.")
@click.option(
    "--proof-rate", type=click.IntRange(1, 100_000), default=60, show_default=True, help="Proofs a minute per client."
)
@click.option("--tls-cert", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="Serve HTTPS: cert.")
@click.option("--tls-key", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="Serve HTTPS: key.")
@click.option("--detach", is_flag=True, help="Run in the background; `tradechain serve --stop` stops it.")
@click.option("--stop", "stop_it", is_flag=True, help="Stop the portal started with --detach.")
def serve(
    run: Run,
    host: str,
    port: int,
    public_url: str | None,
    published: Path | None,
    follow: bool,
    proof_rate: int,
    tls_cert: Path | None,
    tls_key: Path | None,
    detach: bool,
    stop_it: bool,
) -> None:
    """Serve the verification portal: a GS1-Conformant Digital Link resolver at the root (/01/GTIN/10/LOT/21/SERIAL,
    /00/SSCC, /414/GLN, compressed links; ?linkType=..., the linkset), the pages a scan opens (pack or lot, watch
    certificate at /certificate/ID, document upload at /document), their JSON at /api/..., and the proof service
    that `tradechain serials publish` feeds. Every verdict is the contract's own view, with a proof bundle anyone
    can re-check (`tradechain verify --bundle`). The portal keeps the index (--db) in step with the chain unless
    --follow."""
    from tradechain.errors import InputError

    if stop_it:
        stopped = server.stop()
        run.emit({"stopped": stopped}, "portal stopped" if stopped else "no portal of this checkout was running")
        return
    if (tls_cert is None) != (tls_key is None):
        raise InputError("tls-cert", "HTTPS needs both --tls-cert and --tls-key")
    scheme = "https" if tls_cert else "http"
    base = (public_url or server.public_url(host, port).replace("http://", f"{scheme}://")).rstrip("/")
    if not base.startswith(("http://", "https://")):
        raise InputError("public-url", "is an http(s) URL", base)
    client = run.client()
    from tradechain import indexer

    index = run.db or indexer.default_path(client.chain_id)
    store_path = published or server.portal_dir() / f"published-{client.chain_id}.db"
    if detach:
        args = ["--host", host, "--port", str(port), "--public-url", base, "--db", str(index)]
        args += ["--published", str(store_path), "--proof-rate", str(proof_rate)]
        args += ["--follow"] if follow else []
        args += ["--tls-cert", str(tls_cert), "--tls-key", str(tls_key)] if tls_cert and tls_key else []
        if run.rpc_url:
            args += ["--rpc-url", run.rpc_url]
        elif run.network_name:
            args += ["--network", run.network_name]
        found = server.start_detached(args, host, port)
        run.emit({**found.to_json(), "publicUrl": base}, f"portal running at {base} (pid {found.pid})")
        return
    import uvicorn

    from tradechain.portal.app import PortalConfig, create_app

    index.parent.mkdir(parents=True, exist_ok=True)
    store_path.parent.mkdir(parents=True, exist_ok=True)
    config = PortalConfig(base, index, store_path, follow=follow, proof_rate=proof_rate)
    app = create_app(client, config)
    click.echo(f"portal at {base} (chain {client.chain_id}, index {index}); Ctrl-C stops it", err=True)
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_level="warning",
        ssl_certfile=str(tls_cert) if tls_cert else None,
        ssl_keyfile=str(tls_key) if tls_key else None,
    )
