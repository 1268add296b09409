"""Outgoing network calls: the one guarded way the server talks to the outside world."""
