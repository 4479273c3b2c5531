"""The ``tradechain`` command line. One module per role group; each calls the public SDK only."""

from tradechain.cli.main import main

__all__ = ["main"]
