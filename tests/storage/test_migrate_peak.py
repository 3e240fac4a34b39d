"""Migration 0009 (``template_lines.peak``) goes up and down on both backends; existing counts start with
their peak at their count, so a site's template is what it was before the upgrade."""

from __future__ import annotations

from sqlalchemy import Engine, inspect, text

from newswatch.storage.migrate import downgrade, upgrade
from newswatch.storage.migrate_state import HEAD_REVISION, current_revision

ROWS = (("news.example.cn", "*", 6), ("news.example.cn", "aaaaaaaaaaaaaaaa", 4), ("b.example", "*", 1))


def test_peaks_come_with_0009_at_the_counts_and_go_with_a_downgrade(engine: Engine) -> None:
    downgrade(engine, "0008")
    assert "peak" not in {c["name"] for c in inspect(engine).get_columns("template_lines")}
    with engine.begin() as connection:
        for site, key, count in ROWS:
            connection.execute(text("INSERT INTO template_lines (site, line_hash, articles) VALUES (:s, :k, :n)"),
                               {"s": site, "k": key, "n": count})
    upgrade(engine)
    assert current_revision(engine) == HEAD_REVISION
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT site, line_hash, articles, peak FROM template_lines")).all()
    assert sorted(rows) == sorted((site, key, count, count) for site, key, count in ROWS)
    downgrade(engine, "0008")
    assert "peak" not in {c["name"] for c in inspect(engine).get_columns("template_lines")}
    upgrade(engine)
    assert current_revision(engine) == HEAD_REVISION
