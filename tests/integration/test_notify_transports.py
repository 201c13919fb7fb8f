"""Notification transports against real local servers (aiosmtpd and a stdlib HTTP server).

No mocks: each test sends over a real socket and checks what arrived on the other side,
or how a failure was classified (``TransportError.permanent``).
"""
from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from email import policy
from email.parser import BytesParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import httpx
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from cityops.adapters.notify.sms import SmsGatewayTransport
from cityops.adapters.notify.smtp import SmtpTransport
from cityops.adapters.notify.webhook import WebhookTransport
from cityops.app.notify.ports import OutgoingMessage, TransportError

pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")

HOST = "127.0.0.1"
SHORT_TIMEOUT = 0.3
SLOW_RESPONSE_SECONDS = 2.0

SUBJECT = "工单 GD-2024-0001 即将超时：人民路井盖缺失"
BODY = "请于今日 17:00 前到场处置。\n地点：人民路与解放路交叉口（东北角）"


def free_port() -> int:
    """A port on HOST that nothing listens on (bound briefly, then released)."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def message(channel: str, recipient: str, subject: str = SUBJECT, body: str = BODY) -> OutgoingMessage:
    return OutgoingMessage(channel, recipient, subject, body, order_number="GD-2024-0001")


def send_expecting_error(transport, msg: OutgoingMessage) -> TransportError:
    with pytest.raises(TransportError) as caught:
        transport.send(msg)
    return caught.value


@pytest.fixture(autouse=True)
def _no_proxy_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """httpx honours *_PROXY variables; a developer's proxy must not intercept 127.0.0.1."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)


# --------------------------------------------------------------------------- SMTP servers


class RecordingHandler:
    """Accepts everything and keeps the envelopes."""

    def __init__(self) -> None:
        self.envelopes: list = []

    async def handle_DATA(self, server, session, envelope) -> str:
        self.envelopes.append(envelope)
        return "250 2.0.0 queued"


class RejectingHandler(RecordingHandler):
    """Refuses recipients by local part: nobody → 550, busy → 451; at DATA: spamtrap → 554, full → 452."""

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options) -> str:
        local = address.partition("@")[0]
        if local == "nobody":
            return "550 5.1.1 <%s>: mailbox does not exist" % address
        if local == "busy":
            return "451 4.7.1 greylisted, try again later"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope) -> str:
        local = envelope.rcpt_tos[0].partition("@")[0]
        if local == "spamtrap":
            return "554 5.7.1 message content rejected"
        if local == "full":
            return "452 4.2.2 mailbox full"
        return await super().handle_DATA(server, session, envelope)


class RudeGoodbyeHandler(RecordingHandler):
    """Accepts the message, then answers QUIT with an error instead of 221."""

    async def handle_QUIT(self, server, session, envelope) -> str:
        return "554 5.0.0 not saying goodbye"


def only_ops_with_right_password(server, session, envelope, mechanism, auth_data) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and auth_data == (b"ops", b"s3cret")
    return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd sends the 235/535 reply


@dataclass
class SmtpServer:
    handler: RecordingHandler
    port: int


def _run_smtp(handler: RecordingHandler, **smtp_parameters) -> Iterator[SmtpServer]:
    controller = Controller(handler, hostname=HOST, port=free_port(), **smtp_parameters)
    controller.start()
    try:
        yield SmtpServer(handler, controller.port)
    finally:
        controller.stop()


@pytest.fixture(scope="module")
def _recording_smtp() -> Iterator[SmtpServer]:
    yield from _run_smtp(RecordingHandler())


@pytest.fixture(scope="module")
def _rejecting_smtp() -> Iterator[SmtpServer]:
    yield from _run_smtp(RejectingHandler())


@pytest.fixture
def rude_goodbye_smtp() -> Iterator[SmtpServer]:
    yield from _run_smtp(RudeGoodbyeHandler())


@pytest.fixture(scope="module")
def _auth_smtp() -> Iterator[SmtpServer]:
    yield from _run_smtp(
        RecordingHandler(),
        authenticator=only_ops_with_right_password,
        auth_required=True,
        auth_require_tls=False,
    )


@pytest.fixture
def smtp_server(_recording_smtp: SmtpServer) -> SmtpServer:
    _recording_smtp.handler.envelopes.clear()
    return _recording_smtp


@pytest.fixture
def rejecting_smtp(_rejecting_smtp: SmtpServer) -> SmtpServer:
    _rejecting_smtp.handler.envelopes.clear()
    return _rejecting_smtp


@pytest.fixture
def auth_smtp(_auth_smtp: SmtpServer) -> SmtpServer:
    _auth_smtp.handler.envelopes.clear()
    return _auth_smtp


@pytest.fixture
def silent_smtp_port() -> Iterator[int]:
    """A listening socket that never accepts, so the SMTP greeting never comes."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        sock.listen(1)
        yield sock.getsockname()[1]


@pytest.fixture
def busy_greeting_port() -> Iterator[int]:
    """A bare TCP server whose greeting is "421 too busy" (it then hangs up)."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        sock.listen(4)
        sock.settimeout(2.0)

        def greet_once() -> None:
            try:
                conn, _ = sock.accept()
            except OSError:
                return
            with conn:
                conn.sendall(b"421 4.3.2 too busy, try later\r\n")

        thread = threading.Thread(target=greet_once, daemon=True)
        thread.start()
        yield sock.getsockname()[1]
        thread.join(timeout=3)


def smtp_transport(port: int, **kwargs) -> SmtpTransport:
    return SmtpTransport(HOST, port, sender="城运中心 <noreply@cityops.example.cn>", timeout=2.0, **kwargs)


def parse_mail(envelope):
    return BytesParser(policy=policy.default).parsebytes(envelope.original_content)


# --------------------------------------------------------------------------- HTTP server


@dataclass
class Received:
    path: str
    query: str
    headers: dict[str, str]
    body: bytes

    def json(self):
        return json.loads(self.body.decode("utf-8"))


# path → (status, JSON-or-bytes body, delay in seconds)
ROUTES: dict[str, tuple[int, object, float]] = {
    "/robot/ok": (200, {"errcode": 0, "errmsg": "ok"}, 0),
    "/robot/invalid-key": (200, {"errcode": 93000, "errmsg": "invalid webhook url"}, 0),
    "/robot/keyword-mismatch": (200, {"errcode": 310000, "errmsg": "keywords not in content"}, 0),
    "/robot/wecom-rate-limited": (200, {"errcode": 45009, "errmsg": "api freq out of limit"}, 0),
    "/robot/dingtalk-rate-limited": (200, {"errcode": 130101, "errmsg": "send too fast"}, 0),
    "/plain-ok": (200, b"ok", 0),
    "/slow": (200, {"errcode": 0, "ok": True}, SLOW_RESPONSE_SECONDS),
    "/sms/ok": (200, {"ok": True, "id": "msg-1"}, 0),
    "/sms/refused": (200, {"ok": False, "error": "number on blacklist", "retry": False}, 0),
    "/sms/refused-no-retry-flag": (200, {"ok": False, "error": "template not approved"}, 0),
    "/sms/busy": (200, {"ok": False, "error": "carrier channel busy", "retry": True}, 0),
}


class HttpServer:
    """ThreadingHTTPServer on 127.0.0.1:0 answering from ROUTES; ``/status/<n>`` answers n."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.release = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                parts = urlsplit(self.path)
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                headers = {k.lower(): v for k, v in self.headers.items()}
                server.received.append(Received(parts.path, parts.query, headers, body))
                if parts.path.startswith("/status/"):
                    status, payload, delay = int(parts.path.rsplit("/", 1)[1]), {"error": "scripted"}, 0
                else:
                    status, payload, delay = ROUTES.get(parts.path, (404, {"error": "no route"}, 0))
                if delay:
                    server.release.wait(delay)
                raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json; charset=utf-8")
                    self.send_header("Content-Length", str(len(raw)))
                    self.end_headers()
                    self.wfile.write(raw)
                except OSError:
                    pass  # the client gave up (timeout tests)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer((HOST, 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        return f"http://{HOST}:{self.httpd.server_address[1]}{path}"

    def __enter__(self) -> HttpServer:
        self.thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="module")
def _http_server() -> Iterator[HttpServer]:
    with HttpServer() as server:
        yield server


@pytest.fixture
def http(_http_server: HttpServer) -> HttpServer:
    _http_server.received.clear()
    return _http_server


@pytest.fixture
def webhook() -> Iterator[WebhookTransport]:
    with WebhookTransport(timeout=2.0) as transport:
        yield transport


# =========================================================================== SMTP tests


def test_smtp_delivers_chinese_subject_and_body_intact(smtp_server: SmtpServer) -> None:
    smtp_transport(smtp_server.port).send(message("email", "duty@cityops.example.cn"))

    [envelope] = smtp_server.handler.envelopes
    assert envelope.mail_from == "noreply@cityops.example.cn"
    assert envelope.rcpt_tos == ["duty@cityops.example.cn"]
    envelope.original_content.decode("ascii")  # 7-bit clean on the wire: RFC 2047 + base64
    mail = parse_mail(envelope)
    assert mail["Subject"] == SUBJECT
    assert mail["From"].addresses[0].display_name == "城运中心"
    assert mail["From"].addresses[0].addr_spec == "noreply@cityops.example.cn"
    assert mail["To"] == "duty@cityops.example.cn"
    assert mail["X-Cityops-Order"] == "GD-2024-0001"
    assert mail.get_content_type() == "text/plain"
    assert mail.get_content_charset() == "utf-8"
    assert mail["Content-Transfer-Encoding"] == "base64"
    assert mail.get_content() == BODY + "\n"
    assert mail["Message-ID"].endswith("@cityops.example.cn>")
    assert mail["Date"] is not None


def test_smtp_line_breaks_in_subject_cannot_inject_headers(smtp_server: SmtpServer) -> None:
    msg = message("email", "duty@cityops.example.cn", subject="超时\r\nBcc: victim@evil.example")
    smtp_transport(smtp_server.port).send(msg)

    [envelope] = smtp_server.handler.envelopes
    assert envelope.rcpt_tos == ["duty@cityops.example.cn"]
    mail = parse_mail(envelope)
    assert mail["Bcc"] is None
    assert mail["Subject"] == "超时 Bcc: victim@evil.example"


def test_smtp_recipient_rejected_with_550_is_permanent(rejecting_smtp: SmtpServer) -> None:
    error = send_expecting_error(smtp_transport(rejecting_smtp.port), message("email", "nobody@cityops.example.cn"))

    assert error.permanent is True
    assert "550" in error.message
    assert rejecting_smtp.handler.envelopes == []


def test_smtp_recipient_greylisted_with_451_is_transient(rejecting_smtp: SmtpServer) -> None:
    error = send_expecting_error(smtp_transport(rejecting_smtp.port), message("email", "busy@cityops.example.cn"))

    assert error.permanent is False
    assert "451" in error.message


def test_smtp_message_rejected_at_data_with_554_is_permanent(rejecting_smtp: SmtpServer) -> None:
    error = send_expecting_error(smtp_transport(rejecting_smtp.port), message("email", "spamtrap@cityops.example.cn"))

    assert error.permanent is True
    assert "554" in error.message


def test_smtp_message_deferred_at_data_with_452_is_transient(rejecting_smtp: SmtpServer) -> None:
    error = send_expecting_error(smtp_transport(rejecting_smtp.port), message("email", "full@cityops.example.cn"))

    assert error.permanent is False
    assert "452" in error.message


def test_smtp_accepted_recipient_on_rejecting_server_is_delivered(rejecting_smtp: SmtpServer) -> None:
    smtp_transport(rejecting_smtp.port).send(message("email", "duty@cityops.example.cn"))

    [envelope] = rejecting_smtp.handler.envelopes
    assert envelope.rcpt_tos == ["duty@cityops.example.cn"]


def test_smtp_error_after_the_message_was_accepted_still_counts_as_delivered(
    rude_goodbye_smtp: SmtpServer,
) -> None:
    # Reporting a failure here would make the outbox send the same email twice.
    smtp_transport(rude_goodbye_smtp.port).send(message("email", "duty@cityops.example.cn"))

    assert len(rude_goodbye_smtp.handler.envelopes) == 1


def test_smtp_connection_refused_is_transient() -> None:
    error = send_expecting_error(smtp_transport(free_port()), message("email", "duty@cityops.example.cn"))

    assert error.permanent is False


def test_smtp_server_that_never_greets_times_out_as_transient(silent_smtp_port: int) -> None:
    transport = SmtpTransport(HOST, silent_smtp_port, sender="noreply@cityops.example.cn", timeout=SHORT_TIMEOUT)
    started = time.monotonic()

    error = send_expecting_error(transport, message("email", "duty@cityops.example.cn"))

    assert error.permanent is False
    assert time.monotonic() - started < 1.5


def test_smtp_server_refusing_the_greeting_with_421_is_transient(busy_greeting_port: int) -> None:
    error = send_expecting_error(smtp_transport(busy_greeting_port), message("email", "duty@cityops.example.cn"))

    assert error.permanent is False
    assert "421" in error.message


@pytest.mark.parametrize(
    "address",
    [
        "",
        "duty.cityops.example.cn",
        "duty@@cityops.example.cn",
        "du ty@cityops.example.cn",
        "duty@",
        "duty@.cn",
        "duty@cityops..cn",
        "<duty@cityops.example.cn>",
        "duty@cityops.example.cn, boss@cityops.example.cn",
        "duty@cityops.example.cn\r\nBcc: victim@evil.example",
    ],
)
def test_smtp_malformed_address_is_permanent_without_connecting(address: str) -> None:
    # Nothing listens on this port: had the transport tried to connect, the error
    # would be a transient "connection refused", not a permanent one.
    error = send_expecting_error(smtp_transport(free_port()), message("email", address))

    assert error.permanent is True
    assert "invalid email address" in error.message


def test_smtp_login_with_right_credentials_delivers(auth_smtp: SmtpServer) -> None:
    transport = smtp_transport(auth_smtp.port, username="ops", password="s3cret")

    transport.send(message("email", "duty@cityops.example.cn"))

    [envelope] = auth_smtp.handler.envelopes
    assert parse_mail(envelope)["Subject"] == SUBJECT


def test_smtp_wrong_password_is_permanent(auth_smtp: SmtpServer) -> None:
    transport = smtp_transport(auth_smtp.port, username="ops", password="wrong")

    error = send_expecting_error(transport, message("email", "duty@cityops.example.cn"))

    assert error.permanent is True
    assert "535" in error.message
    assert auth_smtp.handler.envelopes == []


def test_smtp_starttls_required_but_not_offered_is_permanent(smtp_server: SmtpServer) -> None:
    transport = smtp_transport(smtp_server.port, starttls=True)

    error = send_expecting_error(transport, message("email", "duty@cityops.example.cn"))

    assert error.permanent is True
    assert smtp_server.handler.envelopes == []


# ======================================================================== webhook tests


def test_webhook_posts_robot_text_json_and_succeeds_on_errcode_zero(
    http: HttpServer, webhook: WebhookTransport
) -> None:
    webhook.send(message("webhook", http.url("/robot/ok?key=robot-key")))

    [request] = http.received
    assert request.path == "/robot/ok"
    assert request.query == "key=robot-key"
    assert request.headers["content-type"] == "application/json"
    assert request.json() == {"msgtype": "text", "text": {"content": SUBJECT + "\n" + BODY}}


def test_webhook_without_subject_sends_only_the_body(http: HttpServer, webhook: WebhookTransport) -> None:
    webhook.send(message("webhook", http.url("/robot/ok"), subject=""))

    assert http.received[0].json() == {"msgtype": "text", "text": {"content": BODY}}


@pytest.mark.parametrize("path", ["/robot/invalid-key", "/robot/keyword-mismatch"])
def test_webhook_nonzero_errcode_is_permanent(http: HttpServer, webhook: WebhookTransport, path: str) -> None:
    error = send_expecting_error(webhook, message("webhook", http.url(path)))

    assert error.permanent is True
    assert str(ROUTES[path][1]["errcode"]) in error.message


@pytest.mark.parametrize(
    "path", ["/robot/wecom-rate-limited", "/robot/dingtalk-rate-limited"], ids=["wecom-45009", "dingtalk-130101"]
)
def test_webhook_rate_limit_errcodes_are_transient(http: HttpServer, webhook: WebhookTransport, path: str) -> None:
    error = send_expecting_error(webhook, message("webhook", http.url(path)))

    assert error.permanent is False


def test_webhook_2xx_without_errcode_counts_as_delivered(http: HttpServer, webhook: WebhookTransport) -> None:
    webhook.send(message("webhook", http.url("/plain-ok")))

    assert [r.path for r in http.received] == ["/plain-ok"]


def test_webhook_429_is_transient(http: HttpServer, webhook: WebhookTransport) -> None:
    error = send_expecting_error(webhook, message("webhook", http.url("/status/429")))

    assert error.permanent is False
    assert "429" in error.message


@pytest.mark.parametrize("status", [500, 502, 503])
def test_webhook_5xx_is_transient(http: HttpServer, webhook: WebhookTransport, status: int) -> None:
    error = send_expecting_error(webhook, message("webhook", http.url(f"/status/{status}")))

    assert error.permanent is False
    assert str(status) in error.message


@pytest.mark.parametrize("status", [400, 403, 404])
def test_webhook_other_4xx_is_permanent(http: HttpServer, webhook: WebhookTransport, status: int) -> None:
    error = send_expecting_error(webhook, message("webhook", http.url(f"/status/{status}")))

    assert error.permanent is True
    assert str(status) in error.message


def test_webhook_slow_response_times_out_as_transient(http: HttpServer) -> None:
    started = time.monotonic()
    with WebhookTransport(timeout=SHORT_TIMEOUT) as transport:
        error = send_expecting_error(transport, message("webhook", http.url("/slow")))

    assert error.permanent is False
    assert "timed out" in error.message
    assert time.monotonic() - started < SLOW_RESPONSE_SECONDS / 2


def test_webhook_connection_refused_is_transient(webhook: WebhookTransport) -> None:
    error = send_expecting_error(webhook, message("webhook", f"http://{HOST}:{free_port()}/robot/ok"))

    assert error.permanent is False


@pytest.mark.parametrize(
    "url", ["", "not a url", "ftp://127.0.0.1/robot", "mailto:duty@cityops.example.cn", "http://", "//127.0.0.1/x"]
)
def test_webhook_non_http_url_is_permanent(http: HttpServer, webhook: WebhookTransport, url: str) -> None:
    error = send_expecting_error(webhook, message("webhook", url))

    assert error.permanent is True
    assert http.received == []


def test_webhook_errors_do_not_leak_the_robot_key(http: HttpServer, webhook: WebhookTransport) -> None:
    for path in ("/status/400", "/status/500", "/robot/invalid-key"):
        error = send_expecting_error(webhook, message("webhook", http.url(path + "?key=TOP-SECRET-KEY")))
        assert path in error.message
        assert "TOP-SECRET-KEY" not in error.message


def test_webhook_uses_an_injected_client_and_leaves_it_open(http: HttpServer) -> None:
    with httpx.Client(headers={"X-Request-Source": "cityops-test"}) as client:
        transport = WebhookTransport(timeout=2.0, client=client)
        transport.send(message("webhook", http.url("/robot/ok")))
        transport.close()

        assert http.received[0].headers["x-request-source"] == "cityops-test"
        assert client.is_closed is False


def test_webhook_timeout_applies_even_to_an_injected_client(http: HttpServer) -> None:
    started = time.monotonic()
    with httpx.Client(timeout=30.0) as client:
        transport = WebhookTransport(timeout=SHORT_TIMEOUT, client=client)
        error = send_expecting_error(transport, message("webhook", http.url("/slow")))

    assert error.permanent is False
    assert time.monotonic() - started < SLOW_RESPONSE_SECONDS / 2


# ============================================================================ SMS tests


def sms_transport(http: HttpServer, path: str = "/sms/ok", **kwargs) -> SmsGatewayTransport:
    kwargs.setdefault("timeout", 2.0)
    return SmsGatewayTransport(http.url(path), **kwargs)


def test_sms_posts_rendered_template_with_bearer_token(http: HttpServer) -> None:
    with sms_transport(http, api_key="k-123") as sms:
        sms.send(message("sms", "13800138000", subject="工单超时", body="人民路井盖缺失，请尽快处置"))

    [request] = http.received
    assert request.path == "/sms/ok"
    assert request.headers["authorization"] == "Bearer k-123"
    assert request.headers["content-type"] == "application/json"
    assert request.json() == {"to": "13800138000", "text": "【城运中心】工单超时：人民路井盖缺失，请尽快处置"}


def test_sms_without_api_key_sends_no_authorization_header(http: HttpServer) -> None:
    with sms_transport(http) as sms:
        sms.send(message("sms", "13800138000"))

    assert "authorization" not in http.received[0].headers


def test_sms_uses_a_custom_template(http: HttpServer) -> None:
    with sms_transport(http, template="{body}（{subject}）") as sms:
        sms.send(message("sms", "13800138000", subject="提醒", body="明早8点巡查"))

    assert http.received[0].json()["text"] == "明早8点巡查（提醒）"


@pytest.mark.parametrize(
    "phone", ["13800138000", "19912345678", "+8613800138000", " 13800138000 ", "010-12345678", "075588886666"]
)
def test_sms_valid_phone_numbers_are_sent(http: HttpServer, phone: str) -> None:
    with sms_transport(http) as sms:
        sms.send(message("sms", phone))

    assert http.received[0].json()["to"] == phone.strip()


@pytest.mark.parametrize(
    "phone",
    [
        "",
        "not-a-phone",
        "12345678901",  # 1 + 2: no such mobile prefix
        "1380013800",  # one digit short
        "138001380001",  # one digit long
        "+8612345678901",
        "+85291234567",
        "138 0013 8000",
        "123456",  # too short for a landline
        "0101234567890123",  # 16 digits
        "010--12345678",
    ],
)
def test_sms_invalid_phone_is_permanent_without_any_request(http: HttpServer, phone: str) -> None:
    with sms_transport(http) as sms:
        error = send_expecting_error(sms, message("sms", phone))

    assert error.permanent is True
    assert "invalid phone" in error.message
    assert http.received == []


@pytest.mark.parametrize("path", ["/sms/refused", "/sms/refused-no-retry-flag"])
def test_sms_gateway_ok_false_is_permanent(http: HttpServer, path: str) -> None:
    with sms_transport(http, path) as sms:
        error = send_expecting_error(sms, message("sms", "13800138000"))

    assert error.permanent is True
    assert ROUTES[path][1]["error"] in error.message


def test_sms_gateway_ok_false_with_retry_is_transient(http: HttpServer) -> None:
    with sms_transport(http, "/sms/busy") as sms:
        error = send_expecting_error(sms, message("sms", "13800138000"))

    assert error.permanent is False
    assert "carrier channel busy" in error.message


@pytest.mark.parametrize("status", [429, 500, 503])
def test_sms_429_and_5xx_are_transient(http: HttpServer, status: int) -> None:
    with sms_transport(http, f"/status/{status}") as sms:
        error = send_expecting_error(sms, message("sms", "13800138000"))

    assert error.permanent is False


@pytest.mark.parametrize("status", [400, 401])
def test_sms_other_4xx_is_permanent(http: HttpServer, status: int) -> None:
    with sms_transport(http, f"/status/{status}", api_key="k-123") as sms:
        error = send_expecting_error(sms, message("sms", "13800138000"))

    assert error.permanent is True
    assert "k-123" not in error.message


def test_sms_slow_gateway_times_out_as_transient(http: HttpServer) -> None:
    started = time.monotonic()
    with sms_transport(http, "/slow", timeout=SHORT_TIMEOUT) as sms:
        error = send_expecting_error(sms, message("sms", "13800138000"))

    assert error.permanent is False
    assert time.monotonic() - started < SLOW_RESPONSE_SECONDS / 2


def test_sms_gateway_down_is_transient() -> None:
    with SmsGatewayTransport(f"http://{HOST}:{free_port()}/sms", timeout=2.0) as sms:
        error = send_expecting_error(sms, message("sms", "13800138000"))

    assert error.permanent is False


@pytest.mark.parametrize(
    ("url", "template"),
    [("ftp://127.0.0.1/sms", "{subject}"), ("http://127.0.0.1/sms", "{subject} {who}"), ("http://127.0.0.1/sms", "{")],
)
def test_sms_misconfiguration_is_refused_at_construction(url: str, template: str) -> None:
    with pytest.raises(ValueError):
        SmsGatewayTransport(url, template=template)
