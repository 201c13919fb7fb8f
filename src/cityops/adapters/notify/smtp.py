"""Email transport over SMTP (stdlib ``smtplib``).

Failures are classified by SMTP reply code: 5xx means the server has decided and retrying
cannot help (permanent), 4xx means "try again later" (transient). Network trouble —
refused connections, timeouts, dropped sessions — is transient too.
"""
from __future__ import annotations

import re
import smtplib
import ssl
from contextlib import closing
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr

from cityops.app.notify.ports import OutgoingMessage, TransportError

# Deliberately simple: one "@", no whitespace, no characters that would break an
# address header, and a domain made of non-empty dot-separated labels.
_ATOM = r"[^\s@<>()\[\],;:\"\\]"
_LABEL = r"[^\s@<>()\[\],;:\"\\.]+"
_ADDRESS = re.compile(rf"^{_ATOM}+@{_LABEL}(?:\.{_LABEL})*$")


def _one_line(text: str) -> str:
    """Collapse line breaks so a header value cannot smuggle in extra headers."""
    return " ".join(text.splitlines()).strip()


def _reply_text(raw: bytes | str) -> str:
    if isinstance(raw, bytes):
        return raw.decode("utf-8", "replace")
    return str(raw)


def _quit_quietly(smtp: smtplib.SMTP) -> None:
    """Say QUIT after the message was accepted; a failure here must not cause a resend."""
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        pass


def _classify_code(code: int, what: str, reply: bytes | str) -> TransportError:
    """5xx → permanent; anything else (4xx, odd codes) → transient."""
    text = f"SMTP {what} failed: {code} {_reply_text(reply)}"
    return TransportError(text, permanent=500 <= code < 600)


class SmtpTransport:
    """Sends ``OutgoingMessage`` as a UTF-8 plain-text email, one SMTP session per message."""

    channel = "email"

    def __init__(
        self,
        host: str,
        port: int,
        sender: str,
        username: str | None = None,
        password: str | None = None,
        starttls: bool = False,
        timeout: float = 10.0,
    ) -> None:
        self.host = host
        self.port = port
        self.sender = sender  # may be "城运中心 <noreply@example.cn>"
        self.envelope_sender = parseaddr(sender)[1] or sender
        self.username = username
        self.password = password
        self.starttls = starttls
        self.timeout = timeout

    def build(self, message: OutgoingMessage) -> EmailMessage:
        """Build the MIME message (exposed for inspection; ``send`` uses it)."""
        recipient = message.recipient.strip()
        if not _ADDRESS.match(recipient):
            raise TransportError(f"invalid email address: {message.recipient!r}", permanent=True)
        email = EmailMessage()
        email["From"] = self.sender
        email["To"] = recipient
        email["Subject"] = _one_line(message.subject)
        email["Date"] = formatdate(localtime=True)
        email["Message-ID"] = make_msgid(domain=self.envelope_sender.rpartition("@")[2] or None)
        if message.order_number:
            email["X-Cityops-Order"] = _one_line(message.order_number)
        # base64 keeps the wire 7-bit clean, so servers without 8BITMIME still get intact Chinese.
        email.set_content(message.body, charset="utf-8", cte="base64")
        return email

    def send(self, message: OutgoingMessage) -> None:
        """Deliver the email or raise ``TransportError``."""
        email = self.build(message)
        recipient = email["To"]
        try:
            with closing(smtplib.SMTP(self.host, self.port, timeout=self.timeout)) as smtp:
                if self.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if self.username:
                    smtp.login(self.username, self.password or "")
                smtp.send_message(email, from_addr=self.envelope_sender, to_addrs=[recipient])
                _quit_quietly(smtp)
        except smtplib.SMTPRecipientsRefused as exc:
            # Single recipient: the dict holds exactly its (code, reply).
            code, reply = next(iter(exc.recipients.values()), (550, b"recipient refused"))
            raise _classify_code(code, "RCPT", reply) from exc
        except smtplib.SMTPConnectError as exc:
            # The server would not greet us; treat as "not available now".
            reply = _reply_text(exc.smtp_error)
            raise TransportError(f"SMTP connect failed: {exc.smtp_code} {reply}", permanent=False) from exc
        except smtplib.SMTPSenderRefused as exc:
            raise _classify_code(exc.smtp_code, "MAIL FROM", exc.smtp_error) from exc
        except smtplib.SMTPResponseException as exc:
            # Covers DATA, HELO and AUTH errors (e.g. 535 bad credentials → permanent).
            raise _classify_code(exc.smtp_code, type(exc).__name__, exc.smtp_error) from exc
        except smtplib.SMTPNotSupportedError as exc:
            # e.g. STARTTLS or SMTPUTF8 required but not offered: a configuration problem.
            raise TransportError(f"SMTP server lacks a required feature: {exc}", permanent=True) from exc
        except smtplib.SMTPServerDisconnected as exc:
            raise TransportError(f"SMTP server disconnected: {exc}", permanent=False) from exc
        except smtplib.SMTPException as exc:
            raise TransportError(f"SMTP error: {exc}", permanent=False) from exc
        except UnicodeError as exc:  # e.g. non-ASCII credentials: smtplib AUTH is ASCII-only
            text = f"SMTP cannot encode a value for the session: {exc}"
            raise TransportError(text, permanent=True) from exc
        except OSError as exc:  # refused, unreachable, DNS failure, timeout, TLS handshake
            where = f"{self.host}:{self.port}"
            raise TransportError(f"SMTP connection to {where} failed: {exc!r}", permanent=False) from exc
