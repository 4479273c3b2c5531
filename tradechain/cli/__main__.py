"""``python -m tradechain.cli``: the same command line as ``tradechain`` (how ``serve --detach`` starts itself)."""

from tradechain.cli.main import main

main()
