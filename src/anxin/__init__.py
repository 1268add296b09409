"""Anxin: electronic authorization of personal-data use.

The package is layered: ``domain`` (pure rules), libraries (``pki``, ``letters``,
``ledger``, ``evidence``, ``identity``), ``storage``, ``services`` (use cases, one
transaction each) and the edges (``web``, ``cli``).
"""

__version__ = "0.1.0"
