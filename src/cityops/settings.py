"""Settings, from environment variables prefixed ``CITYOPS_`` or from a plain mapping (tests).

Nothing reads the environment at import time: call ``load_settings()``.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Mapping

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_SECRET = "dev-insecure-secret-change-me"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CITYOPS_", extra="ignore")

    env: str = Field("dev", description="dev | test | prod")
    database_url: str = "sqlite:///./cityops.db"
    secret_key: str = DEV_SECRET
    token_ttl_hours: int = 12
    district_code: str = "demo"
    timezone: str = "Asia/Shanghai"
    media_dir: Path = Path("./media")
    max_upload_bytes: int = 10 * 1024 * 1024
    # where npm installed the browser libraries (htmx, ECharts); empty: the checkout's node_modules
    vendor_dir: Path | None = None

    # workers
    run_workers_in_process: bool = True
    sweep_interval_seconds: float = 5.0
    sweep_batch: int = 500
    outbox_interval_seconds: float = 2.0
    outbox_max_attempts: int = 6
    outbox_backoff_seconds: float = 30.0

    # notification transports (empty: that channel is not configured, messages stay in the outbox)
    smtp_host: str = ""
    smtp_port: int = 25
    smtp_sender: str = "cityops@localhost"
    smtp_username: str = ""
    smtp_password: str = ""
    smtp_starttls: bool = False
    sms_gateway_url: str = ""
    sms_api_key: str = ""
    sms_template: str = "【城运中心】{subject}：{body}"
    webhook_enabled: bool = True

    # passes and every table that matches people by ID number: the HMAC secret for ID numbers, and
    # the secret that seals pass signing keys in the database (empty: each derived from secret_key;
    # set them explicitly so that rotating secret_key keeps the hashes and the keys usable)
    id_hash_secret: str = ""
    pass_key_secret: str = ""
    pass_prefix: str = "CO1:"
    pass_issuer: str = "cityops"

    @model_validator(mode="after")
    def _refuse_default_secret(self) -> "Settings":
        if self.env not in ("dev", "test") and self.secret_key == DEV_SECRET:
            raise ValueError("CITYOPS_SECRET_KEY must be set to a real secret outside dev/test")
        if self.env not in ("dev", "test") and len(self.secret_key) < 32:
            raise ValueError("CITYOPS_SECRET_KEY must be at least 32 characters outside dev/test")
        return self

    @classmethod
    def settings_customise_sources(cls, settings_cls, init_settings, env_settings, dotenv_settings,
                                   file_secret_settings):
        # Only explicit values: load_settings() collects CITYOPS_* from the mapping it is given.
        return (init_settings,)

    @property
    def id_secret(self) -> str:
        """The secret for ``domain.people.id_hash`` (one per installation)."""
        return self.id_hash_secret or "id-hash|" + self.secret_key

    @property
    def pass_keys_secret(self) -> str:
        return self.pass_key_secret or "pass-keys|" + self.secret_key

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def load_settings(environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
    """Settings from ``environ`` (default: the process environment) plus explicit overrides."""
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for key, value in env.items():
        if key.startswith("CITYOPS_"):
            values[key[len("CITYOPS_"):].lower()] = value
    values.update(overrides)
    return Settings(**values)
