"""The suite's xdist scheduling (``make test``: ``--dist loadfile``): a test file's tests stay on one worker,
and so do the files that share an expensive session fixture, so that fixture is built once per suite."""

from __future__ import annotations

from xdist.scheduler import LoadFileScheduling

# folders whose files share a session fixture: tests/monitor/web (the replayed three-moment workspace)
SHARED = ("tests/monitor/web/",)


class SharedFixtureScheduling(LoadFileScheduling):  # type: ignore[misc]  # xdist is untyped
    """``--dist loadfile``, with each folder of :data:`SHARED` one unit of work."""

    def _split_scope(self, nodeid: str) -> str:
        path: str = nodeid.split("::", 1)[0]
        return next((folder for folder in SHARED if path.startswith(folder)), path)
