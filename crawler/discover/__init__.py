"""Discover: what to fetch (links on pages, feeds, sitemaps, the frontier, canonical URLs)."""
