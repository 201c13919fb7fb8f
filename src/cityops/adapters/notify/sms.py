"""SMS transport through an HTTP gateway that takes ``{"to": phone, "text": ...}``.

HTTP failures are classified like the webhook transport (see ``webhook.post_json``).
Gateways that answer 200 with ``{"ok": false, "error": ..., "retry": bool}`` fail
permanently unless they say ``retry: true``.
"""
from __future__ import annotations

import re

import httpx

from cityops.adapters.notify.webhook import HttpTransportBase, json_object, parse_http_url, post_json
from cityops.app.notify.ports import OutgoingMessage, TransportError

DEFAULT_TEMPLATE = "【城运中心】{subject}：{body}"

_MOBILE = re.compile(r"^(?:\+86)?1[3-9]\d{9}$")
_LANDLINE = re.compile(r"^\d+(?:-\d+)*$")


def is_valid_phone(phone: str) -> bool:
    """Mainland mobile (1[3-9] + 9 digits, optionally +86), or landline-ish: 7–15 digits
    with optional '-' separators, not starting with 1 (e.g. 010-12345678, 075588886666)."""
    if _MOBILE.match(phone):
        return True
    if phone.startswith(("1", "+")) or not _LANDLINE.match(phone):
        return False  # a leading 1 means a mobile number, and it did not match above
    return 7 <= len(phone.replace("-", "")) <= 15


class SmsGatewayTransport(HttpTransportBase):
    """Renders ``template`` with the message subject and body and posts it to the gateway."""

    channel = "sms"

    def __init__(
        self,
        url: str,
        template: str = DEFAULT_TEMPLATE,
        api_key: str | None = None,
        timeout: float = 10.0,
        client: httpx.Client | None = None,
    ) -> None:
        try:
            self.url = parse_http_url(url)
        except TransportError as exc:
            raise ValueError(f"SMS gateway URL: {exc.message}") from exc
        try:
            template.format(subject="", body="")
        except (KeyError, IndexError, ValueError) as exc:
            raise ValueError(f"SMS template may only use {{subject}} and {{body}}: {exc!r}") from exc
        self.template = template
        self.api_key = api_key
        super().__init__(timeout, client)

    def render(self, message: OutgoingMessage) -> str:
        """The SMS text for a message."""
        return self.template.format(subject=message.subject, body=message.body)

    def send(self, message: OutgoingMessage) -> None:
        """Deliver the SMS or raise ``TransportError``."""
        phone = message.recipient.strip()
        if not is_valid_phone(phone):
            raise TransportError(f"invalid phone number: {message.recipient!r}", permanent=True)
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else None
        payload = {"to": phone, "text": self.render(message)}
        response = post_json(self._client, self.url, payload, timeout=self.timeout, headers=headers)
        data = json_object(response)
        if data is None or data.get("ok") is not False:
            return
        retry = data.get("retry") is True
        raise TransportError(f"SMS gateway refused the message: {data.get('error')!r}", permanent=not retry)
