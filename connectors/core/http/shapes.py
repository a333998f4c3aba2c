"""Checks that a decoded JSON answer has the shape an API documents.

A proxy, a login page or a new API version can answer 2xx with JSON of another shape; reading
it anyway would end in a ``KeyError`` or a silently empty sync. These checks turn it into one
:class:`~connectors.core.errors.MalformedResponseError` naming the URL (without query string or
credentials) and what was expected there.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from connectors.core.errors import MalformedResponseError
from connectors.core.http.client import short_url


def as_object(value: Any, url: str, what: str) -> dict[str, Any]:
    """``value`` when it is a JSON object; ``what`` names it in the message (``"an issue"``)."""
    if not isinstance(value, dict):
        raise MalformedResponseError(short_url(url), f"expected {what} to be an object")
    return value


def as_list(value: Any, url: str, what: str) -> list[Any]:
    """``value`` when it is a JSON array; ``what`` names it in the message (``"the answer"``)."""
    if not isinstance(value, list):
        raise MalformedResponseError(short_url(url), f"expected {what} to be a list")
    return value


def object_at(parent: Mapping[str, Any], key: str) -> dict[str, Any]:
    """``parent[key]`` when it is a JSON object, else an empty one: for optional sub-objects."""
    value = parent.get(key)
    return value if isinstance(value, dict) else {}


def list_at(parent: Mapping[str, Any], key: str) -> list[Any]:
    """``parent[key]`` when it is a JSON array, else an empty one: for optional lists."""
    value = parent.get(key)
    return value if isinstance(value, list) else []
