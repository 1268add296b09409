"""ASGI factory for uvicorn workers: settings from the environment."""

from __future__ import annotations

from fastapi import FastAPI

from anxin.config import load_settings
from anxin.web.app import create_app


def app() -> FastAPI:
    return create_app(load_settings())
