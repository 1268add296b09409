"""The tamper-evident ledger: an RFC 9162 Merkle log of every event.

Library code only (no web, no storage): leaf encoding, tree hashing, proofs, checkpoints,
and the log's logic (:mod:`anxin.ledger.log`) over a storage Protocol. The SQL store is
:mod:`anxin.storage.ledger_store`; the database-bound log is
:class:`anxin.services.ledger.Ledger`.
"""
