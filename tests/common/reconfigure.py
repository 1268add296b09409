"""Give a running test application other settings.

The services context is frozen (:mod:`anxin.services.context`), so a test that changes a
setting mid-test builds a new context with the same parts and hands it to the app, which
every route reads per request (``request.app.state.ctx``).

Example::

    ctx = reconfigure(client.app, base_url="https://anxin.example")
"""

from __future__ import annotations

import dataclasses
from typing import Any

from anxin.services.context import Context


def reconfigure(app: Any, **settings: Any) -> Context:
    old: Context = app.state.ctx
    new = dataclasses.replace(old, settings=old.settings.model_copy(update=settings))
    app.state.ctx = new
    return new
