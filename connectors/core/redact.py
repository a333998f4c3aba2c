"""Keep secrets out of every output: a process-wide set of secret values and a scrubber.

Tokens are never put in URLs or messages on purpose; this is the safety net for the paths we
do not control (a server echoing a header, a library's exception text). Every line the sync
prints, logs or stores in ``sync_runs.error`` goes through :func:`redact`.
"""

from __future__ import annotations

import base64
import logging
import threading

MASK = "***"
_MIN_LENGTH = 4  # shorter "secrets" would mask ordinary words; they are rejected by config

_lock = threading.Lock()
_secrets: set[str] = set()


def register(value: str) -> None:
    """Remember ``value`` (and the encodings an HTTP header would carry) as secret."""
    if len(value) < _MIN_LENGTH:
        return
    variants = {value}
    for basic in (f"{value}:", f":{value}"):
        variants.add(base64.b64encode(basic.encode()).decode())
    variants.add(base64.b64encode(value.encode()).decode())
    with _lock:
        _secrets.update(variants)


def redact(text: str) -> str:
    """``text`` with every registered secret replaced by ``***``."""
    with _lock:
        secrets = sorted(_secrets, key=len, reverse=True)
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, MASK)
    return text


class RedactingFilter(logging.Filter):
    """A logging filter that scrubs the formatted message of every record it passes."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, None
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True
