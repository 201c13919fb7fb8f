"""Wires adapters into use cases from settings. Tests call it with their own settings and fakes."""
from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from sqlalchemy.engine import Engine

from .adapters.crypto.passwords import Argon2Hasher
from .adapters.db.engine import make_engine
from .adapters.db.uow import SqlUnitOfWork
from .adapters.files import DiskFileStore
from .app.identity import PasswordHasher
from .app.notify.ports import Transport
from .settings import Settings, load_settings


_TRIAGE_LOCK = threading.Lock()


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


@dataclass
class Container:
    settings: Settings
    engine: Engine
    hasher: PasswordHasher
    now: Callable[[], datetime] = utcnow
    transports: dict[str, Transport] = field(default_factory=dict)
    _triage: object | None = None
    _pass_crypto: object | None = None

    def uow(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.engine)

    def read_uow(self) -> SqlUnitOfWork:
        """For use cases that only read (authentication): no write lock on SQLite."""
        return SqlUnitOfWork(self.engine, readonly=True)

    @property
    def triage(self):
        """The process's triage engines (built on first use: training the shipped model takes ~1 s).
        One per container, even when the start-up warm-up and a first request ask at once."""
        if self._triage is None:
            with _TRIAGE_LOCK:
                if self._triage is None:
                    from .adapters.triage.provider import TriageProvider

                    self._triage = TriageProvider(Path(self.settings.media_dir) / "models")
        return self._triage

    @property
    def pass_crypto(self):
        """Passes: ID hashing, signing keys (sealed with the settings secret), pass and list signatures."""
        if self._pass_crypto is None:
            from .adapters.crypto.passes import PassCryptoAdapter

            s = self.settings
            self._pass_crypto = PassCryptoAdapter(id_secret=s.id_secret, key_secret=s.pass_keys_secret,
                                                  prefix=s.pass_prefix, issuer=s.pass_issuer)
        return self._pass_crypto

    @property
    def files(self) -> DiskFileStore:
        return DiskFileStore(self.settings.media_dir)


def default_transports(settings: Settings) -> dict[str, Transport]:
    from .adapters.notify.sms import SmsGatewayTransport
    from .adapters.notify.smtp import SmtpTransport
    from .adapters.notify.webhook import WebhookTransport

    out: dict[str, Transport] = {}
    if settings.smtp_host:
        out["email"] = SmtpTransport(settings.smtp_host, settings.smtp_port, settings.smtp_sender,
                                     username=settings.smtp_username or None, password=settings.smtp_password or None,
                                     starttls=settings.smtp_starttls)
    if settings.sms_gateway_url:
        out["sms"] = SmsGatewayTransport(settings.sms_gateway_url, template=settings.sms_template,
                                         api_key=settings.sms_api_key or None)
    if settings.webhook_enabled:
        out["webhook"] = WebhookTransport()
    return out


def bootstrap(settings: Settings | None = None, *, engine: Engine | None = None,
              now: Callable[[], datetime] | None = None, hasher: PasswordHasher | None = None,
              transports: dict[str, Transport] | None = None) -> Container:
    settings = settings or load_settings()
    return Container(
        settings=settings,
        engine=engine or make_engine(settings.database_url),
        hasher=hasher or Argon2Hasher(),
        now=now or utcnow,
        transports=default_transports(settings) if transports is None else transports,
    )
