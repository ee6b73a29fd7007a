"""The one settings object. Environment variables use the `KENNISSTER_` prefix; the database URL
is also read from plain `DATABASE_URL`, the name hosting platforms and docker-compose use."""

from __future__ import annotations

import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parents[2]
PLACEHOLDER_SECRETS = {"", "changeme", "change-me", "secret", "dev"}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="KENNISSTER_", extra="ignore")

    environment: Literal["development", "production", "test"] = "development"
    data_dir: Path = ROOT / "var"
    database_url: str = Field(
        default="",
        validation_alias=AliasChoices("KENNISSTER_DATABASE_URL", "DATABASE_URL"),
        description="SQLAlchemy URL; empty means an SQLite file in data_dir.",
    )
    secret_key: str = Field(default="", description="Empty: generated once and kept in data_dir.")
    anonymity_k: int = Field(default=5, ge=3, description="Smallest group ever shown; never below 3.")
    default_language: Literal["nl", "en"] = "nl"
    questionnaires_dir: Path = ROOT / "questionnaires"
    base_url: str = "http://127.0.0.1:8000"
    sqlite_busy_timeout_ms: int = 15_000
    warm_charts: bool = Field(default=True, description=(
        "Start the chart renderer (V8, about 65 MB per process) at start-up, so the first "
        "thank-you page draws at once; False for a process that serves only the API."))
    render_cache: bool = Field(default=True, description=(
        "Keep the dashboard's pages, charts, downloads and reports as rendered per release in "
        "the database; False renders every request anew (the benchmark's baseline)."))
    two_factor_required_roles: list[Literal["admin", "coordinator", "bestuur"]] = Field(
        default=["admin", "coordinator"], description=(
            "Roles that must use an authenticator app before the admin area opens; for the "
            "others it is optional. JSON in the environment: '[\"admin\",\"coordinator\"]'."))

    # E-mail: an empty smtp_host means mail is not configured (links are handed out by hand).
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_security: Literal["starttls", "tls", "none"] = "starttls"
    smtp_user: str = ""
    smtp_password: str = Field(default="", repr=False)
    smtp_timeout_seconds: float = 30.0
    smtp_ca_file: str = Field(default="", description=(
        "A CA bundle to trust for the SMTP server (an institution's own CA); empty: the system's."))
    mail_from: str = Field(default="Kennisster <kennisster@localhost>",
                           description="The From of every mail, e.g. 'Kennisster <noreply@hs.nl>'.")
    mail_worker: bool = Field(default=True, description="Send mail from a thread of the app process; "
                              "False when `kennisster worker` runs on its own.")
    mail_poll_seconds: float = Field(default=10.0, gt=0)
    mail_batch_size: int = Field(default=20, ge=1, description="Mails sent per SMTP connection.")
    mail_lease_seconds: int = Field(default=600, ge=1, description=(
        "How long a claimed mail is a worker's; after that, a worker that died is assumed gone."))
    mail_max_attempts: int = Field(default=6, ge=1)

    # Webhooks (Standard Webhooks, signed): delivered from their outbox by the webhook worker.
    webhook_worker: bool = Field(default=True, description="Deliver webhooks from a thread of "
                                 "the app process; False when `kennisster worker` runs on its own.")
    webhook_poll_seconds: float = Field(default=5.0, gt=0)
    webhook_timeout_seconds: float = Field(default=10.0, gt=0, description=(
        "Connect and read timeout of one delivery; a slower receiver counts as failed."))
    webhook_backoff_seconds: float = Field(default=30.0, gt=0, description=(
        "Wait before the first retry; doubled after each further failure."))
    webhook_backoff_max_seconds: float = Field(default=6 * 3600.0, gt=0)
    webhook_max_attempts: int = Field(default=12, ge=1, description="Attempts before one "
                                      "delivery is given up.")
    webhook_lease_seconds: int = Field(default=120, ge=1, description=(
        "How long a claimed delivery is a worker's; after that it is due again."))
    webhook_disable_after_failures: int = Field(default=20, ge=1, description=(
        "Failed deliveries in a row that switch an endpoint off."))
    webhook_disable_after_hours: float = Field(default=24.0, gt=0, description=(
        "An endpoint failing without a success for this long is switched off."))
    webhook_participation_interval_seconds: int = Field(default=3600, ge=1, description=(
        "At most one response.submitted per round and endpoint per interval, carrying the "
        "round's count at sending: no event marks the moment of one submission."))
    webhook_allow_loopback: bool = Field(default=False, description=(
        "Allow http:// and https:// endpoints on 127.0.0.1/::1 (tests, development); other "
        "private, link-local and reserved addresses are always refused."))
    # Sign-in through OpenID Connect (SURFconext, Entra ID, Google Workspace): an empty issuer
    # means the feature is off and the login page shows no button.
    oidc_issuer: str = Field(default="", description=(
        "The provider's issuer URL, e.g. 'https://connect.surfconext.nl'; its "
        "/.well-known/openid-configuration is read. Empty: no sign-in through OpenID Connect."))
    oidc_client_id: str = Field(default="", description="The client id the provider gave us.")
    oidc_client_secret: str = Field(default="", repr=False,
                                    description="The client secret the provider gave us.")
    oidc_scopes: str = Field(default="openid email profile", description=(
        "Scopes asked for, separated by spaces; 'openid' is always sent."))
    oidc_email_claim: str = Field(default="email", description=(
        "The claim that holds the account's e-mail address (the id token's or the userinfo's)."))
    oidc_institution_claim: str = Field(default="schac_home_organization", description=(
        "The claim naming the user's institution (a domain such as 'hs-rivierenland.nl'); "
        "lacking it, the e-mail address's domain is used."))
    oidc_display_name: str = Field(default="SURFconext", description=(
        "Name on the login button: 'Inloggen met <name>'."))
    oidc_timeout_seconds: float = Field(default=10.0, gt=0, description=(
        "How long to wait for the provider's discovery, keys and token endpoints."))
    # --- sector benchmark (api/results/sector.py) ---
    sector_min_institutions: int = Field(default=5, ge=5, description=(
        "Opted-in institutions with released results a sector benchmark needs; never below 5."))

    @field_validator("base_url")
    @classmethod
    def _no_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @model_validator(mode="after")
    def _fill_defaults(self) -> Settings:
        if not self.database_url:
            self.database_url = f"sqlite:///{self.data_dir / 'kennisster.db'}"
        if not self.secret_key:
            if self.environment == "production":
                raise ValueError("KENNISSTER_SECRET_KEY must be set in production")
            self.secret_key = _kept_secret(self.data_dir)
        elif self.environment == "production" and self.secret_key in PLACEHOLDER_SECRETS:
            raise ValueError("KENNISSTER_SECRET_KEY is a placeholder; set a long random value")
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def mail_configured(self) -> bool:
        return bool(self.smtp_host)

    @property
    def oidc_configured(self) -> bool:
        return bool(self.oidc_issuer and self.oidc_client_id)


def _kept_secret(data_dir: Path) -> str:
    """A random secret made on first run and kept, so sessions and links survive a restart."""
    path = data_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(48)
    path.write_text(value)
    path.chmod(0o600)
    return value


@lru_cache
def get_settings() -> Settings:
    return Settings()
