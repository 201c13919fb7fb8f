"""Open311 GeoReport v2 use cases (and the FixMyStreet ``servicerequestupdates`` extension).

Pure of HTTP: each function takes parsed parameters (a mapping of name → list of values, as a
query string or a form gives them) and returns plain dicts/lists in the spec's shape; the HTTP
layer renders them as XML or JSON. Errors are ``Open311Error`` with the HTTP status the spec
asks for and one or more (code, description) pairs.

Requests filed here become ordinary work orders on the API key's channel (open311 or web):
triage sets urgency and special groups, the deadline policy runs as for any other order.
Only orders on those public channels can be read back, and never the caller's contact data.
"""
from __future__ import annotations
from .common import Open311Error, first
from .requests import find_requests, get_request, submit_request, token, update_token
from .services import (authenticate_key, create_key, discovery, get_attributes, list_keys, list_services,
                       put_attributes, revoke_key, service_definition)
from .updates import find_updates, post_update

__all__ = [
    "Open311Error", "authenticate_key", "create_key", "discovery", "find_requests", "find_updates", "first",
    "get_attributes", "get_request", "list_keys", "list_services", "post_update", "put_attributes", "revoke_key",
    "service_definition", "submit_request", "token", "update_token",
]
