"""The data formats of trade, with no chain: GS1 keys and Digital Links (``gs1``), compressed Digital Links
(``dl_compression``), EPC URNs (``epc``), EPCIS 2.0 events (``epcis``), organisations' identity (``identity``: LEI,
country, roles), canonical JSON (``canonical``), Merkle trees (``merkle``), serial batches (``serials``), invoice
fingerprints (``invoice_fingerprints``), CBV 2.0 vocabularies (``cbv``), the document types (``document_types``)
and command-line values (``values``)."""
