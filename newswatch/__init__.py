"""newswatch: a scheduled news scraper and change monitor.

The distribution installs one importable name, ``newswatch``. Its three packages live in the
repository's top-level folders (``crawler/``, ``monitor/``, ``storage/``), linked here so that a
checkout imports exactly what the wheel installs: ``newswatch.crawler`` (fetch, discover, extract,
the pipeline), ``newswatch.monitor`` (config, sources, schedule, changes, alerts, runs, daemon,
queue, housekeeping, web, cli, testing) and ``newswatch.storage`` (models, queries, corpus format).
See ``docs/design.md``.
"""
