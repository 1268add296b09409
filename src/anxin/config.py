"""Configuration: one :class:`Settings` object, built once at an edge and passed in.

Sources, lowest to highest priority: defaults, ``anxin.toml`` in the data directory,
``ANXIN_*`` environment variables, explicit overrides (command-line options).

>>> s = load_settings(data_dir=Path("/tmp/anxin-doc"))
>>> s.effective_database_url.startswith("sqlite:///")
True
"""

from __future__ import annotations

import ipaddress
import os
import tomllib
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

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
    # Host names, IPs and CIDRs (comma-separated) that outgoing calls may reach although
    # they are loopback, private, link-local or metadata addresses (anxin.net.outbound).
    outbound_allow: str = ""
    key_passphrase: str | None = None
    # Encrypts the root CA key that `anxin init` writes (to <data dir>/offline/root.key);
    # root operations (`anxin keys rotate`, `anxin keys root-crl`) read it to open that key.
    root_key_passphrase: str | None = None
    purposes: tuple[str, ...] = DEFAULT_PURPOSES
    data_categories: tuple[str, ...] = DEFAULT_DATA_CATEGORIES
    # Per-purpose ceilings: {"loan_approval": {"max_validity_days": 30, "max_uses": 1}}
    purpose_ceilings: dict[str, dict[str, int]] = Field(default_factory=dict)
    otp_ttl_seconds: int = 300
    otp_min_interval_seconds: int = 60
    otp_max_sends: int = 5
    otp_max_failures: int = 5
    # Anti-pumping (docs/security.md "Rate limits, SMS and one-time codes"): SMS go only to
    # these country calling codes; sends are limited per client IP, per browser session
    # (the portal's sign-in form, a signing link) and in total, each per window, with the
    # counters in the database so that the limits hold across workers and nodes.
    sms_countries: Annotated[tuple[str, ...], NoDecode] = ("86",)
    sms_limit_window_seconds: int = Field(default=3600, ge=1)
    sms_limit_per_ip: int = Field(default=20, ge=0)
    sms_limit_per_session: int = Field(default=10, ge=0)
    sms_limit_global: int = Field(default=1000, ge=0)
    # Proxies whose X-Forwarded-For is believed (IPs or CIDRs, comma-separated); empty:
    # the direct peer is the client.
    trusted_proxies: Annotated[tuple[str, ...], NoDecode] = ()
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
    # Request bodies larger than this answer 413 payload_too_large before they are read
    # (JSON and forms); uploads to POST /verify (letters, evidence packages) have their own.
    max_body_bytes: int = 512 * 1024
    max_upload_bytes: int = 20 * 1024 * 1024

    @field_validator("sms_countries", "trusted_proxies", mode="before")
    @classmethod
    def _comma_list(cls, value: Any) -> Any:
        """``"86,852"`` (environment, toml string) or a list; blanks dropped."""
        if isinstance(value, str):
            return tuple(p.strip() for p in value.split(",") if p.strip())
        return value

    @field_validator("sms_countries")
    @classmethod
    def _country_codes(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        out = tuple(v.lstrip("+") for v in value)
        for v in out:
            if not (v.isdigit() and 1 <= len(v) <= 3):
                raise ValueError(f"a country calling code is 1 to 3 digits, not {v!r}")
        return out

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for v in value:
            ipaddress.ip_network(v, strict=False)  # ValueError names the bad entry
        return value

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
