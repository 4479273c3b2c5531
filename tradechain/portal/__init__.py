"""The public verification portal: a GS1-Conformant Digital Link resolver (:mod:`.links`) and the pages anyone who
scans a pack, a watch certificate or a document reads (:mod:`.app`), every verdict from the contracts' own views
with a bundle to re-check it on any node (:mod:`.verdicts`), and the proof service that answers the Merkle proof
of a pack to whoever holds its code (:mod:`.proofs`). ``tradechain serve`` runs it (:mod:`.server`)."""
