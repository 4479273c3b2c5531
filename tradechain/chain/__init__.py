"""Talking to an EVM chain: networks and connections (``network``), sending transactions exactly once (``tx``,
``signing``), reading reverts (``reverts``), the compiled contracts (``artifacts``) and deployment records
(``deployments``), signers (``accounts``), the local node (``node``), the compiler and Anvil set-up
(``toolchain``) and where the checkout and state live (``project``)."""
