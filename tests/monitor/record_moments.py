"""Re-record the three-moment cassettes: ``python -m tests.monitor.record_moments``.

Serves the site of ``tests.monitor.moments_site`` on 127.0.0.1:38527 at moments 1, 2 and 3 and records
one ``newswatch run`` per moment (in one scratch workspace, so each run sees the last one's storage)
into ``tests/cassettes/moments_<n>.yaml``.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from tests.conftest import ROOT
from tests.crawler.site_server import SiteServer
from tests.crawler.test_run import newswatch, setup_workspace
from tests.monitor.moments_site import FIXED_PORT, build_moment

CASSETTES = ROOT / "tests" / "cassettes"


def cassette(moment: int) -> Path:
    return CASSETTES / f"moments_{moment}.yaml"


def main() -> int:
    with tempfile.TemporaryDirectory() as scratch:
        config = setup_workspace(Path(scratch), f"http://127.0.0.1:{FIXED_PORT}")
        for moment in (1, 2, 3):
            with SiteServer(port=FIXED_PORT) as server:
                build_moment(server, moment)
                result = newswatch(config, "run", "--record", str(cassette(moment)))
            print(f"moment {moment}:", result.stdout, result.stderr[-2000:], sep="\n")
            if result.returncode:
                return result.returncode
    return 0


if __name__ == "__main__":
    sys.exit(main())
