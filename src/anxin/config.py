"""Configuration: one :class:`Settings` object, built once at an edge and passed in.

Sources, lowest to highest priority: defaults, ``anxin.toml`` in the data directory,
``ANXIN_*`` environment variables, explicit overrides (command-line options).

>>> s = load_settings(data_dir=Path("/tmp/anxin-doc"))
>>> s.effective_database_url.startswith("sqlite:///")
True
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_PURPOSES = (
    "loan_approval",
    "post_loan_management",
    "credit_card_approval",
    "guarantee_qualification",
    "account_opening",
)
DEFAULT_DATA_CATEGORIES = (
    "credit_report",
    "credit_score",
    "identity_verification",
    "income_verification",
    "judicial_records",
)


class Settings(BaseSettings):
    """Everything the product reads from its environment."""

    model_config = SettingsConfigDict(env_prefix="ANXIN_", extra="ignore", frozen=True)

    data_dir: Path = Path("anxin-data")
    database_url: str = ""
    base_url: str = ""
    host: str = "127.0.0.1"
    port: int = 8000
    sms: str = "outbox"
    realname: str = "none"
    tsa_url: str = ""
    key_passphrase: str | None = None
    purposes: tuple[str, ...] = DEFAULT_PURPOSES
    data_categories: tuple[str, ...] = DEFAULT_DATA_CATEGORIES
    # Per-purpose ceilings: {"loan_approval": {"max_validity_days": 30, "max_uses": 1}}
    purpose_ceilings: dict[str, dict[str, int]] = Field(default_factory=dict)
    otp_ttl_seconds: int = 300
    otp_min_interval_seconds: int = 60
    otp_max_sends: int = 5
    otp_max_failures: int = 5
    # Bounds of a rendered letter (anxin.letters.bounds): characters and A4 pages.
    letter_max_chars: int = 20_000
    letter_max_pages: int = 6
    checkpoint_interval_seconds: float = 2.0
    sweep_interval_seconds: float = 30.0
    # How often `anxin serve` looks for letters whose newest archive timestamp is not by
    # the current TSA (after `anxin keys rotate`) and renews them; 0 turns it off.
    archive_renew_interval_seconds: float = 86400.0
    # Warn (in the log, and from `anxin archive renew`) when the TSA certificate expires
    # within this many days.
    tsa_expiry_warning_days: int = 365
    db_pool_size: int = 10
    # Threads per worker for blocking handlers. Few threads keep the GIL from stretching
    # the time a row lock is held (see bench/use_gate.py); requests queue in the loop.
    worker_threads: int = 8
    # Exposes GET /_bench/select/{id} (one indexed SELECT): the floor bench/use_gate.py
    # compares the gate with. Off unless ANXIN_BENCH_ENDPOINTS=1.
    bench_endpoints: bool = False

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'anxin.db').resolve()}"

    @property
    def effective_base_url(self) -> str:
        return (self.base_url or f"http://localhost:{self.port}").rstrip("/")

    @property
    def outbox_path(self) -> Path:
        return self.data_dir / "outbox" / "sms.jsonl"

    @property
    def keys_dir(self) -> Path:
        return self.data_dir / "keys"


def _env_keys() -> set[str]:
    return {k[len("ANXIN_"):].lower() for k in os.environ if k.startswith("ANXIN_")}


def load_settings(data_dir: Path | None = None, **overrides: Any) -> Settings:
    """Build the settings: toml < environment < ``overrides`` (``None`` values ignored)."""
    if data_dir is None:
        data_dir = Path(os.environ.get("ANXIN_DATA_DIR", "anxin-data"))
    values: dict[str, Any] = {}
    toml_path = data_dir / "anxin.toml"
    if toml_path.is_file():
        with toml_path.open("rb") as fh:
            values.update(tomllib.load(fh))
    env = _env_keys()
    # The environment wins over the file: drop file values the environment also sets, and
    # let pydantic-settings read them from the environment.
    values = {k: v for k, v in values.items() if k not in env}
    values.update({k: v for k, v in overrides.items() if v is not None})
    values["data_dir"] = data_dir
    return Settings(**values)
