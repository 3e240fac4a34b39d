"""Fetch: a page's bytes, guarded (SSRF guard, name resolution, retries, politeness, caps, browser)."""
