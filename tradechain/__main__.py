"""``python -m tradechain``: the same as the ``tradechain`` command."""

from tradechain.cli import main

if __name__ == "__main__":
    main()
