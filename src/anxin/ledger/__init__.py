"""The tamper-evident ledger: an RFC 9162 Merkle log of every event.

Library code only (no web): leaf encoding, tree hashing, proofs, checkpoints. The
storage-backed log and its sequencer live in :mod:`anxin.ledger.log`.
"""
