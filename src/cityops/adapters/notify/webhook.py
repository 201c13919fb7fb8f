"""Group-robot webhook transport (WeCom / DingTalk "text" messages) over httpx.

Also home of ``post_json``, the HTTP error classification shared with the SMS gateway:
timeouts, connection errors, 408, 429 and 5xx are transient; other non-2xx answers and
unusable URLs are permanent.
"""
from __future__ import annotations

from typing import Any

import httpx

from cityops.app.notify.ports import OutgoingMessage, TransportError

#: errcodes that mean "slow down / busy, try later" rather than "this will never work".
#: WeCom: 45009 = API rate limit, -1 = system busy. DingTalk: 130101 = sending too fast.
RETRYABLE_ERRCODES = frozenset({45009, 130101, -1})

_TRANSIENT_STATUSES = frozenset({408, 429})


def redact_url(url: httpx.URL | str) -> str:
    """scheme://host/path only: robot URLs carry their secret in the query string."""
    try:
        parsed = httpx.URL(str(url))
    except (httpx.InvalidURL, TypeError):
        return "<invalid url>"
    return str(parsed.copy_with(query=None, fragment=None, username=None, password=None))


def parse_http_url(url: str) -> httpx.URL:
    """Parse an absolute http(s) URL or raise a permanent ``TransportError``."""
    url = url.strip()
    if any(ch.isspace() or not ch.isprintable() for ch in url):
        raise TransportError(f"URL contains whitespace: {redact_url(url)!r}", permanent=True)
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError) as exc:
        raise TransportError(f"invalid URL: {exc}", permanent=True) from exc
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise TransportError(f"not an http(s) URL: {redact_url(url)!r}", permanent=True)
    return parsed


def _snippet(response: httpx.Response, limit: int = 200) -> str:
    text = response.text.strip().replace("\n", " ")
    return text if len(text) <= limit else text[:limit] + "…"


def post_json(
    client: httpx.Client,
    url: httpx.URL,
    payload: dict[str, Any],
    *,
    timeout: float,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    """POST ``payload`` as JSON and return the 2xx response, or raise a classified error."""
    where = redact_url(url)
    try:
        response = client.post(url, json=payload, headers=headers, timeout=timeout)
    except httpx.UnsupportedProtocol as exc:
        raise TransportError(f"unsupported URL for {where}: {exc}", permanent=True) from exc
    except httpx.TimeoutException as exc:
        raise TransportError(f"timed out after {timeout}s posting to {where}", permanent=False) from exc
    except httpx.RequestError as exc:  # connect/read errors, dropped connections, proxies
        raise TransportError(f"could not reach {where}: {exc!r}", permanent=False) from exc
    except httpx.InvalidURL as exc:
        raise TransportError(f"invalid URL {where}: {exc}", permanent=True) from exc
    status = response.status_code
    if 200 <= status < 300:
        return response
    transient = status in _TRANSIENT_STATUSES or 500 <= status < 600
    raise TransportError(f"HTTP {status} from {where}: {_snippet(response)}", permanent=not transient)


def json_object(response: httpx.Response) -> dict[str, Any] | None:
    """The response body as a JSON object, or None if it is not one."""
    try:
        data = response.json()
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


class HttpTransportBase:
    """An HTTP transport's client: its own unless one is handed in (a handed-in one is never closed)."""

    def __init__(self, timeout: float = 10.0, client: httpx.Client | None = None) -> None:
        self.timeout = timeout
        self._owns_client = client is None
        self._client = client if client is not None else httpx.Client(timeout=timeout)

    def close(self) -> None:
        """Close the HTTP client if this transport created it."""
        if self._owns_client:
            self._client.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class WebhookTransport(HttpTransportBase):
    """Posts a text message to a WeCom / DingTalk group robot; the recipient is the robot URL."""

    channel = "webhook"

    @staticmethod
    def payload(message: OutgoingMessage) -> dict[str, Any]:
        """The robot "text" message body (subject line, then the body)."""
        content = "\n".join(part for part in (message.subject, message.body) if part)
        return {"msgtype": "text", "text": {"content": content}}

    def send(self, message: OutgoingMessage) -> None:
        """Deliver the message or raise ``TransportError``."""
        url = parse_http_url(message.recipient)
        response = post_json(self._client, url, self.payload(message), timeout=self.timeout)
        data = json_object(response)
        if data is None or "errcode" not in data:
            return  # a plain webhook that answers 2xx without the robot envelope
        try:
            errcode = int(data["errcode"])
        except (TypeError, ValueError):
            raise TransportError(f"robot answered an unreadable errcode: {data!r:.200}", permanent=True)
        if errcode == 0:
            return
        text = f"robot {redact_url(url)} refused the message: errcode {errcode} {data.get('errmsg', '')}"
        raise TransportError(text.strip(), permanent=errcode not in RETRYABLE_ERRCODES)
