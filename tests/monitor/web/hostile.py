"""An article whose fetched text attacks the reader: ``<script>``, ``javascript:`` links, event handlers,
broken markup and a control character XML cannot hold, in its title, body, anomaly and outbox row."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from newswatch.monitor.changes.diff import diff_texts
from newswatch.monitor.changes.render import to_json, to_text
from newswatch.storage.models import AlertOutbox, Anomaly, Article, Change, Source, Version

TITLE = '<script>alert("title")</script><img src=x onerror=alert(1)> & "quoted" \x0b<b>bold'
BODY_1 = ("正文<script>alert(1)</script>。[点我](javascript:alert(2))。<a href=\"javascript:alert(3)\">链接</a>。"
          "<div><p>未闭合的标签")
BODY_2 = BODY_1 + "。新增<iframe src=javascript:alert(4)></iframe>。</textarea><style>body{display:none}</style>"
EVIL_URL = "javascript:alert(document.cookie)//http://127.0.0.1/"
SOURCE = "<script>src</script>"


def store(sessions: sessionmaker[Session]) -> dict[str, int]:
    """Two hostile articles (one with a ``javascript:`` URL), a change, an anomaly, an outbox row."""
    now = datetime(2025, 5, 2, 8, 0, tzinfo=UTC)
    with sessions() as session:
        source = Source(name=SOURCE, kind="site", url="http://127.0.0.1:9/", last_checked_at=now)
        session.add(source)
        session.flush()
        article = Article(canonical_url="http://127.0.0.1:9/2025/05/02/evil.html", title=TITLE, source_id=source.id,
                          first_seen_at=now, last_checked_at=now)
        link = Article(canonical_url=EVIL_URL, title=TITLE, first_seen_at=now - timedelta(hours=1))
        session.add_all([article, link])
        session.flush()
        versions = [Version(article_id=a.id, number=1, title=TITLE, body=BODY_1, content_hash="1" * 64,
                            extractor="trafilatura", extractor_version="2.3", fetched_at=now) for a in (article, link)]
        newer = Version(article_id=article.id, number=2, title=TITLE + "<i>", body=BODY_2, content_hash="2" * 64,
                        extractor="trafilatura", extractor_version="2.3", fetched_at=now + timedelta(hours=1))
        session.add_all([*versions, newer])
        session.flush()
        diff = diff_texts(BODY_1, BODY_2)
        session.add(Change(article_id=article.id, from_version_id=versions[0].id, to_version_id=newer.id,
                           changed_fields=["title", "body"], change_class="title", diff=to_text(diff),
                           diff_json=to_json(diff), detected_at=now + timedelta(hours=1)))
        session.add(Anomaly(article_id=article.id, reason="error_page", detail=TITLE, title=TITLE, body_chars=3,
                            detected_at=now + timedelta(hours=2)))
        session.add(AlertOutbox(event_id="e" * 32, channel="<b>ops</b>", event_kind="article.changed", state="dead",
                                attempts=5, payload={"article": {"title": TITLE, "url": EVIL_URL}},
                                last_error="<script>alert('error')</script>"))
        session.commit()
        return {"article": article.id, "link": link.id}
