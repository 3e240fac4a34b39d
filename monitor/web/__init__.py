"""The read-only web view, Atom feeds and JSON API (top tier beside the CLI)."""
