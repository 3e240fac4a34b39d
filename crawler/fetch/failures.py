"""Why a request failed, as a short code for counts and reports: Scrapy's, Twisted's and the guard's
exceptions mapped to ``timeout``, ``connection_refused``, ``dns_failed``, ``too_large``, ``refused_private``..."""

from __future__ import annotations

from twisted.python.failure import Failure


def failure_kind(failure: Failure) -> str:
    """A short code for why a request failed (``timeout``, ``connection_refused``, ``too_large``...)."""
    name = type(failure.value).__name__
    message = str(failure.value)
    if name == "IgnoreRequest" and "non-public address" in message:
        return "refused_private"
    if name == "IgnoreRequest" and "robots.txt" in message:
        return "refused_robots"
    if "max redirections" in message:
        return "too_many_redirects"
    if "redirect" in message.lower():
        return "redirect_loop"
    if name == "IgnoreRequest" and "not a valid URL" in message:
        return "bad_url"
    if name == "IgnoreRequest" and "truncated gzip" in message:
        return "truncated_body"
    if any(text in message for text in ("max size", "larger than", "exceeded DOWNLOAD_MAXSIZE")):
        return "too_large"
    aliases = {
        "TimeoutError": "timeout", "TCPTimedOutError": "timeout", "DownloadTimeoutError": "timeout",
        "ResponseDataLossError": "truncated_body", "ConnectionRefusedError": "connection_refused",
        "DownloadConnectionRefusedError": "connection_refused", "CannotResolveHostError": "dns_failed",
        "DNSLookupError": "dns_failed",
        "CassetteError": "not_in_cassette", "RenderTimeout": "render_timeout",
    }
    return aliases.get(name, name)
