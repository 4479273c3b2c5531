"""Electronic bills of lading on the DCSA eBL 3.0 side, with no chain: the history the SDK reads
(:mod:`.events`), the transport document (:mod:`.document`), DCSA's schemas (:mod:`.schemas`) and the exports
(:mod:`.dcsa`)."""
