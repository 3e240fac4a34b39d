"""A batch of records in one transaction (each item in a savepoint once one failed): the pipeline's unit of work.

Runs on the pipeline's recording thread (no reactor here). For a batch of items:

- one transaction, first without savepoints (two statements an item saved); when an item fails (its
  storage, its corpus file, or a fault of the recorder), all is rolled back, that item is its error and
  the others are recorded again in one transaction, each inside ``session.begin_nested()`` now, so a
  further failing item is rolled back alone and the others commit;
- the corpus files of the batch are *staged* (:class:`storage.corpus.folder.Staging`): written whole to temp
  files inside the item's savepoint (a full disk fails the item there), renamed only after the commit.
  A kill before the commit leaves temp files, never a document storage does not know; a kill during
  the renames leaves documents storage claims but the disk has not yet: the next crawl's start rewrites
  them from storage (:func:`crawler.pipeline.store.recover_corpus`). The recorder's event rows are rows of the
  same transaction, so they commit or vanish with it;
- a batch whose transaction is lost (the connection goes, the commit fails) is recorded again item by
  item, each in its own transaction, as before batches: only the item that met the fault (if one did)
  is an error. A failed commit may yet have committed (the connection went during it): its temp files
  are left for the next start's recovery, which writes what storage holds and drops the rest. A
  deadlock or serialization failure (PostgreSQL, two workers' batches locking the same rows in different
  orders) is no item's fault: the whole batch is recorded again, with savepoints.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from newswatch.crawler import heap
from newswatch.crawler.items import FetchedArticle, Missing, RejectedPage
from newswatch.crawler.pipeline.identity import claimed_identity
from newswatch.crawler.pipeline.recorder import Recorder
from newswatch.crawler.pipeline.store import Recorded
from newswatch.storage.corpus.folder import Corpus, Staging
from newswatch.storage.engine import ping


@dataclass(frozen=True)
class Outcome:
    """What became of one item: recorded (``recorded``), or failed and rolled back (``error``); a
    ``late`` error is a corpus file of a committed item that could not be renamed (rewritten next start)."""

    recorded: Recorded | None = None
    error: Exception | None = None
    late: Exception | None = None


class _Failed(Exception):
    """An item failed in a batch without savepoints (all of it was rolled back)."""

    def __init__(self, index: int, error: Exception) -> None:
        super().__init__(str(error))
        self.index = index
        self.error = error


class _Lost(Exception):
    """The batch's transaction is gone; ``index`` is the item that met the fault (None: the commit)."""

    def __init__(self, index: int | None, error: Exception) -> None:
        super().__init__(str(error))
        self.index = index
        self.error = error


def record_one(recorder: Recorder, session: Session, item: Any, now: datetime) -> Recorded | None:
    # under its canonical, unless another story holds that (crawler.pipeline.identity)
    if isinstance(item, FetchedArticle):
        return recorder.fetched(session, claimed_identity(session, item), now)
    if isinstance(item, RejectedPage):
        return recorder.rejected(session, item, now)
    if isinstance(item, Missing):
        return recorder.missing(session, item, now)
    return None


def record_batch(sessions: sessionmaker[Session], recorder: Recorder, corpus: Corpus | None,
                 entries: Sequence[tuple[Any, datetime]]) -> list[Outcome]:
    """Record ``entries`` (item, time) in one transaction, or item by item when it is lost (module doc); then
    the heap the batch freed (change detection's line keys, the session's rows: megabytes a batch) handed back
    to the system (:func:`crawler.heap.trim`), so that the crawl's process does not keep its busiest batch's
    size in free heap."""
    try:
        return _recorded(sessions, recorder, corpus, entries)
    finally:
        heap.trim()


def _recorded(sessions: sessionmaker[Session], recorder: Recorder, corpus: Corpus | None,
              entries: Sequence[tuple[Any, datetime]]) -> list[Outcome]:
    try:
        return _together(sessions, recorder, corpus, entries, savepoints=False)
    except (_Failed, _Lost) as failed:
        if failed.index is None:  # the commit failed
            return _alone(sessions, recorder, corpus, entries, None)
        if _transient(failed.error):  # a deadlock with another worker's batch: the item is tried again
            return _guarded(sessions, recorder, corpus, entries)
        rest = [entry for index, entry in enumerate(entries) if index != failed.index]
        outcomes = _guarded(sessions, recorder, corpus, rest) if rest else []
        outcomes.insert(failed.index, Outcome(error=failed.error))
        return outcomes


TRANSIENT = {"40P01", "40001"}  # PostgreSQL: deadlock detected, serialization failure


def _transient(error: Exception) -> bool:
    """A fault of the moment between concurrent transactions, not of the item (worth one retry)."""
    return isinstance(error, SQLAlchemyError) and getattr(getattr(error, "orig", None), "sqlstate", None) in TRANSIENT


def _guarded(sessions: sessionmaker[Session], recorder: Recorder, corpus: Corpus | None,
             entries: Sequence[tuple[Any, datetime]]) -> list[Outcome]:
    """``entries`` in one transaction, a savepoint each; item by item when the transaction is lost."""
    try:
        return _together(sessions, recorder, corpus, entries, savepoints=True)
    except _Lost as lost:
        return _alone(sessions, recorder, corpus, entries, lost)


def _alone(sessions: sessionmaker[Session], recorder: Recorder, corpus: Corpus | None,
           entries: Sequence[tuple[Any, datetime]], lost: _Lost | None) -> list[Outcome]:
    """Each of ``entries`` in its own transaction (the one that met the fault, if known, is its error)."""
    outcomes: list[Outcome] = []
    for index, entry in enumerate(entries):
        if lost is not None and index == lost.index:
            outcomes.append(Outcome(error=lost.error))
            continue
        try:
            outcomes.extend(_together(sessions, recorder, corpus, [entry], savepoints=False))
        except (_Failed, _Lost) as alone:
            outcomes.append(Outcome(error=alone.error))
    return outcomes


def _together(sessions: sessionmaker[Session], recorder: Recorder, corpus: Corpus | None,
              entries: Sequence[tuple[Any, datetime]], savepoints: bool) -> list[Outcome]:
    staging = Staging()
    marks: list[int] = []
    outcomes: list[Outcome] = []
    if corpus is not None:
        corpus.staging = staging
    session = sessions()
    try:
        session.begin()
        for index, (item, now) in enumerate(entries):
            marks.append(staging.mark())
            if savepoints:
                outcomes.append(_one(session, recorder, staging, item, now, index))
                continue
            try:
                outcomes.append(Outcome(record_one(recorder, session, item, now)))
            except Exception as exc:
                raise _Failed(index, exc) from exc
        try:
            session.commit()
        except SQLAlchemyError as exc:
            staging.abandon()  # the commit may have happened: the next start settles the files with storage
            raise _Lost(None, exc) from exc
    except BaseException:
        staging.discard()
        with contextlib.suppress(SQLAlchemyError):  # a lost connection cannot roll back: it is gone
            session.rollback()
        raise
    finally:
        if corpus is not None:
            corpus.staging = None
        session.close()
    return _published(staging, marks, outcomes)


def _one(session: Session, recorder: Recorder, staging: Staging, item: Any, now: datetime, index: int) -> Outcome:
    mark = staging.mark()
    try:
        with session.begin_nested():
            return Outcome(record_one(recorder, session, item, now))
    except Exception as exc:
        staging.discard(mark)
        if isinstance(exc, SQLAlchemyError) and not _usable(session):
            raise _Lost(index, exc) from exc
        return Outcome(error=exc)


def _usable(session: Session) -> bool:
    """Whether the transaction survived an item's failure (a dropped connection does not)."""
    try:
        ping(session)
    except SQLAlchemyError:
        return False
    return True


def _published(staging: Staging, marks: list[int], outcomes: list[Outcome]) -> list[Outcome]:
    """Rename the committed batch's corpus files; a file that cannot be is its item's late error."""
    failures = staging.publish()
    for position, error in failures:
        owner = max(index for index, mark in enumerate(marks) if mark <= position)
        outcomes[owner] = Outcome(outcomes[owner].recorded, outcomes[owner].error, error)
    return outcomes

