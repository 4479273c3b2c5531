"""One SDK client per contract, in a module named for the contract (``TradeEscrow`` -> ``trade_escrow``), each on
:class:`~tradechain.contracts.base.ContractClient`; :mod:`~tradechain.contracts.registry` is the table of the suite
that drives the ``Client`` attributes, the deployment and the indexer."""
