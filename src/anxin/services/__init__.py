"""Use cases. Each public function is one database transaction: the state change, its
ledger leaf and its audit data commit together or not at all."""
