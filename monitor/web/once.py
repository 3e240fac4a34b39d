"""A database error of a read, logged with its traceback once per cause, then quietly counted.

A database that went away fails every request until it comes back; the server log should say so once
(at ERROR, with the traceback), not once per request. The cause is the error's class and the first line
of its message (SQLAlchemy appends the statement and parameters on later lines).
"""

from __future__ import annotations

import logging
import threading

from newswatch.monitor.daemon.healthcheck import cause_of


class OncePerCause:
    """Log each distinct cause at ERROR once (with the traceback), later ones at DEBUG."""

    def __init__(self, log: logging.Logger, limit: int = 1000) -> None:
        self.log = log
        self.limit = limit  # distinct causes remembered; a flood of distinct ones cannot grow memory
        self.seen: dict[str, int] = {}
        self.lock = threading.Lock()

    def report(self, exc: BaseException) -> bool:
        """Log ``exc``; True when this was the first time its cause was seen."""
        cause = cause_of(exc)
        with self.lock:
            count = self.seen.get(cause, 0)
            if count or len(self.seen) < self.limit:
                self.seen[cause] = count + 1
        if count:
            self.log.debug("storage error again (%d times): %s", count + 1, cause)
            return False
        self.log.error("storage error while answering a request: %s", cause, exc_info=exc)
        return True
