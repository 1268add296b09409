"""Configuration: one :class:`Settings` object, built once at an edge and passed in.

Sources, lowest to highest priority: defaults, ``anxin.toml`` in the data directory,
``ANXIN_*`` environment variables, explicit overrides (command-line options).

Strict where a mistake would pass silently: a key of ``anxin.toml`` that is no setting
(a typo such as ``sms_limit_per_ipp``) is an error naming the key and the file, and so is
an unknown key of a ``[purpose_ceilings.*]`` table. Unknown ``ANXIN_*`` environment
variables are ignored: the environment is shared with other tools (the test suite's
``ANXIN_TEST_DATABASE_URL``, ``anxin operator add``'s ``ANXIN_OPERATOR_PASSWORD``).
``ANXIN_SMS`` and ``ANXIN_REALNAME`` are choices (``outbox`` / ``none`` or
``webhook:<url>``), read as :class:`ProviderChoice`; anything else names the allowed
values. Every such mistake is a :class:`~anxin.errors.ConfigurationError` from
:func:`load_settings`, so ``anxin init`` and ``anxin serve`` stop before doing anything.

>>> s = load_settings(data_dir=Path("/tmp/anxin-doc"))
>>> s.effective_database_url.startswith("sqlite:///")
True
"""

from __future__ import annotations

import difflib
import ipaddress
import os
import tomllib
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Generic, Literal, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from anxin.errors import ConfigurationError

DEFAULT_PURPOSES = (
    "loan_approval",
    "post_loan_management",
    "credit_card_approval",
    "guarantee_qualification",
    "account_opening",
    "pre_insurance_review",
    "creditworthiness_review",
    "merchant_real_name_review",
    "dispute_verification",
)
DEFAULT_DATA_CATEGORIES = (
    "credit_report",
    "credit_score",
    "identity_verification",
    "income_verification",
    "judicial_records",
)


CEILING_KEYS = ("max_validity_days", "max_uses")
# The keys of a [purpose_labels.<code>] table (anxin.domain.vocabulary.LABEL_KEYS).
PURPOSE_LABEL_KEYS = ("zh-CN", "en", "bureau_reason")


class SmsProvider(StrEnum):
    """Where one-time codes go (``ANXIN_SMS``)."""

    OUTBOX = "outbox"     # development: JSON lines in <data dir>/outbox/sms.jsonl
    WEBHOOK = "webhook"   # webhook:<url>: POST {"to", "text"}


class RealNameProvider(StrEnum):
    """The real-name check before the first code (``ANXIN_REALNAME``)."""

    NONE = "none"         # the institution's data is trusted, recorded as not_checked
    WEBHOOK = "webhook"   # webhook:<url>: POST {"name", "id_type", "id_number", "mobile"}


P = TypeVar("P", SmsProvider, RealNameProvider)


@dataclass(frozen=True, slots=True)
class ProviderChoice(Generic[P]):
    """A parsed ``ANXIN_SMS`` / ``ANXIN_REALNAME``: the provider and, for a webhook, its URL."""

    provider: P
    url: str | None = None

    @classmethod
    def parse(cls, kinds: type[P], value: str, *, setting: str = "") -> ProviderChoice[P]:
        """``outbox``/``none`` or ``webhook:<http(s) url>``; ValueError naming the choices
        (prefixed with ``setting`` when given)."""
        setting = f"{setting}: " if setting else ""
        allowed = " or ".join(f"'{k.value}'" if k.value != "webhook" else "'webhook:<url>'"
                              for k in kinds)
        name, sep, url = value.partition(":")
        try:
            provider = kinds(name)
        except ValueError:
            raise ValueError(f"{setting}must be {allowed}, not {value!r}") from None
        if provider.value == "webhook":
            if not sep or not url.startswith(("http://", "https://")):
                raise ValueError(f"{setting}webhook:<url> needs an http(s) URL after "
                                 f"'webhook:', not {value!r}")
            return cls(provider, url)
        if sep:
            raise ValueError(f"{setting}must be {allowed}, not {value!r}")
        return cls(provider)


class Settings(BaseSettings):
    """Everything the product reads from its environment."""

    # extra="forbid": a keyword (an anxin.toml key) that is no field is an error. Unknown
    # ANXIN_* environment variables are not read at all (pydantic-settings reads fields).
    model_config = SettingsConfigDict(env_prefix="ANXIN_", extra="forbid", frozen=True)

    data_dir: Path = Path("anxin-data")
    database_url: str = ""
    # A PostgreSQL streaming replica of database_url (hot standby): reads that may lag
    # (lists, the ledger's entries and proofs) go there, records and events there only
    # once it has replayed the primary's WAL position (anxin.storage.replica). Empty: none.
    database_replica_url: str = ""
    # How long a read-your-writes read waits for the replica to catch up with the
    # primary before it is made on the primary instead (milliseconds).
    database_replica_wait_ms: int = Field(default=50, ge=0, le=10_000)
    base_url: str = ""
    host: str = "127.0.0.1"
    port: int = 8000
    sms: str = "outbox"
    realname: str = "none"
    tsa_url: str = ""
    # The signature profile asked for (`anxin init --profile`, ANXIN_PROFILE): intl, sm or
    # dual. It is fixed in <data dir>/keys/profile at init (anxin.pki.signature_profile);
    # None (the default) takes the data directory's, another one is refused.
    profile: Literal["intl", "sm", "dual"] | None = None
    # An external SM2 TSA in the dual profile (ANXIN_TSA_URL is then the intl one; in the
    # sm profile ANXIN_TSA_URL itself names the SM2 TSA). Empty: the built-in SM2 TSA.
    sm2_tsa_url: str = ""
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
    # Words of configured purposes (anxin.domain.vocabulary): [purpose_labels.car_loan]
    # zh-CN = "汽车贷款审批", en = "car loan approval", bureau_reason = "贷款审批".
    purpose_labels: dict[str, dict[str, str]] = Field(default_factory=dict)
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
    # Days before valid_until that the institution and the person are reminded (the
    # sweep, notify.expiry_reminders); 0 turns reminders off.
    expiry_reminder_days: int = Field(default=7, ge=0)
    # Years a signed consent's letter and evidence are kept after it ended, whatever an
    # erasure request (services.erasure; PIPL art. 47, CFPB 1033 asks for >= 3).
    retention_years: int = Field(default=5, ge=1, le=100)
    # A request made with "notify_subject": "sms" gets one reminder SMS this many minutes
    # before it lapses unsigned (sent by the sweep); 0 turns reminders off.
    signing_reminder_minutes: int = Field(default=120, ge=0)
    # How often `anxin serve` looks for letters whose newest archive timestamp is not by
    # the current TSA (after `anxin keys rotate`) and renews them; 0 turns it off.
    archive_renew_interval_seconds: float = 86400.0
    # Warn (in the log, and from `anxin archive renew`) when the TSA certificate expires
    # within this many days.
    tsa_expiry_warning_days: int = 365
    db_pool_size: int = 10
    # PostgreSQL: the server ends a session idle inside a transaction this long (seconds;
    # 0: never), so that a frozen or cut-off node releases the sequencer's lock and its
    # row locks to the other nodes (docs/operations.md, "Several nodes").
    db_idle_in_transaction_seconds: float = Field(60.0, ge=0)
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
    # The deployment's time zone (an IANA name): the times the console shows and the
    # calendar days its dashboard counts.
    time_zone: str = "Asia/Shanghai"

    @field_validator("time_zone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (an IANA name such as "
                             "Asia/Shanghai)") from None
        return value

    @property
    def zone(self) -> ZoneInfo:
        """``time_zone`` as a zone (valid: the field's validator checked it)."""
        return ZoneInfo(self.time_zone)

    @field_validator("database_replica_url")
    @classmethod
    def _replica_postgres(cls, value: str) -> str:
        if value and not value.startswith("postgresql"):
            raise ValueError("a replica is a PostgreSQL streaming replica: a "
                             f"postgresql+psycopg:// URL, not {value.split(':', 1)[0]!r}")
        return value

    @model_validator(mode="after")
    def _replica_of_postgres(self) -> Settings:
        if self.database_replica_url and not self.database_url.startswith("postgresql"):
            raise ValueError("ANXIN_DATABASE_REPLICA_URL (database_replica_url) needs a "
                             "PostgreSQL ANXIN_DATABASE_URL: the replica streams from it, "
                             "and SQLite has none")
        return self

    @field_validator("sms")
    @classmethod
    def _sms_choice(cls, value: str) -> str:
        ProviderChoice.parse(SmsProvider, value)
        return value

    @field_validator("realname")
    @classmethod
    def _realname_choice(cls, value: str) -> str:
        ProviderChoice.parse(RealNameProvider, value)
        return value

    @field_validator("purpose_ceilings")
    @classmethod
    def _ceiling_keys(cls, value: dict[str, dict[str, int]]) -> dict[str, dict[str, int]]:
        for purpose, ceiling in value.items():
            for key in ceiling:
                if key not in CEILING_KEYS:
                    raise ValueError(f"unknown key {key!r} in [purpose_ceilings.{purpose}]"
                                     f"{_did_you_mean(key, CEILING_KEYS)}; the keys are "
                                     + ", ".join(CEILING_KEYS))
        return value

    @field_validator("purpose_labels")
    @classmethod
    def _label_keys(cls, value: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
        for purpose, labels in value.items():
            for key in labels:
                if key not in PURPOSE_LABEL_KEYS:
                    raise ValueError(f"unknown key {key!r} in [purpose_labels.{purpose}]"
                                     f"{_did_you_mean(key, PURPOSE_LABEL_KEYS)}; the keys are "
                                     + ", ".join(PURPOSE_LABEL_KEYS))
        return value

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
    def sms_provider(self) -> ProviderChoice[SmsProvider]:
        """``sms``, parsed (valid: the field's validator checked it)."""
        return ProviderChoice.parse(SmsProvider, self.sms, setting="ANXIN_SMS")

    @property
    def realname_provider(self) -> ProviderChoice[RealNameProvider]:
        """``realname``, parsed (valid: the field's validator checked it)."""
        return ProviderChoice.parse(RealNameProvider, self.realname, setting="ANXIN_REALNAME")

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
    from_file = set(values)
    values.update({k: v for k, v in overrides.items() if v is not None})
    values["data_dir"] = data_dir
    try:
        return Settings(**values)
    except ValidationError as exc:
        raise ConfigurationError(_explain(exc, toml_path, from_file, env)) from None


def _did_you_mean(key: str, choices: Any) -> str:
    close = difflib.get_close_matches(key, list(choices), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _explain(exc: ValidationError, toml_path: Path, from_file: set[str], env: set[str]) -> str:
    """One line per problem, each naming where the bad key or value came from."""
    lines = []
    for err in exc.errors():
        key = str(err["loc"][0]) if err["loc"] else ""
        if err["type"] == "extra_forbidden":
            where = f"{toml_path}" if key in from_file else "an option"
            lines.append(f"{where}: unknown setting {key!r}"
                         f"{_did_you_mean(key, Settings.model_fields)}")
            continue
        if key in from_file:
            where = f"{toml_path}: {key}"
        elif key in env:
            where = f"ANXIN_{key.upper()}"
        else:
            where = key
        msg = str(err["msg"]).removeprefix("Value error, ")
        lines.append(f"{where}: {msg}" if where else msg)
    return "; ".join(lines)
