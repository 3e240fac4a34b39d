"""arq's job (de)serializer: JSON, never pickle (arq's default would let anyone who can write to the
Redis run code in every worker).

:func:`loads` checks the envelope arq stores (``t`` try, ``f`` function, ``a`` args, ``k`` kwargs, ``et``
enqueue time) and the arguments of each of our functions against :mod:`monitor.queue.jobs`; a payload
that fails raises, and arq then logs "deserializing job ... failed" and finishes the job as failed
without running it. Results (stored only for failed jobs: ``keep_result = 0``) are JSON too, an
exception as its text.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from newswatch.monitor.queue.errors import JobRejected
from newswatch.monitor.queue.jobs import ALERTS_FUNCTION, CRAWL_FUNCTION, read_crawl_job

log = logging.getLogger("newswatch.queue")
MAX_PAYLOAD = 16 * 1024 * 1024
RESULT_KEYS = {"t", "f", "a", "k", "et", "s", "r", "st", "ft", "q", "id"}


def dumps(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=repr).encode("utf-8")


def loads(data: bytes) -> dict[str, Any]:
    """A job (or result) envelope from Redis; JobRejected (logged) when it is not one of ours."""
    try:
        envelope = _decode(data)
        _check(envelope)
    except JobRejected as exc:
        log.error("%s", exc)
        raise
    return envelope


def _decode(data: bytes) -> dict[str, Any]:
    if len(data) > MAX_PAYLOAD:
        raise JobRejected(f"payload of {len(data)} bytes, at most {MAX_PAYLOAD}")
    try:
        value = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise JobRejected(f"not JSON: {exc}") from exc
    if not isinstance(value, dict):
        raise JobRejected(f"expected an object, got {type(value).__name__}")
    return value


def _check(envelope: dict[str, Any]) -> None:
    if "s" in envelope:  # a stored result, read back by status tools: no arguments are run from it
        if not envelope.keys() <= RESULT_KEYS:
            raise JobRejected(f"unknown result keys {sorted(envelope.keys() - RESULT_KEYS)}")
        return
    if envelope.keys() != {"t", "f", "a", "k", "et"}:
        raise JobRejected(f"envelope keys {sorted(envelope)}, expected a, et, f, k, t")
    if not isinstance(envelope["a"], list) or not isinstance(envelope["k"], dict):
        raise JobRejected("envelope: args must be a list and kwargs an object")
    function, args, kwargs = envelope["f"], envelope["a"], envelope["k"]
    if function == CRAWL_FUNCTION:
        if len(args) != 1 or kwargs:
            raise JobRejected(f"{CRAWL_FUNCTION}: expected one argument, the job")
        read_crawl_job(args[0])
    elif function == ALERTS_FUNCTION:
        if args or kwargs:
            raise JobRejected(f"{ALERTS_FUNCTION}: takes no arguments")
    else:
        raise JobRejected(f"unknown function {str(function)[:80]!r}")
