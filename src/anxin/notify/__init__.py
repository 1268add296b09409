"""Background work started by ``anxin serve``: notification delivery and the expiry sweep."""
