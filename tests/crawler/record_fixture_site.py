"""Re-record the committed cassette of the fixture site: ``python -m tests.crawler.record_fixture_site``.

Serves the fixture site on 127.0.0.1:38517 (the port the replay tests expect), runs
``newswatch run --record tests/cassettes/fixture_site.yaml`` in a scratch folder, and stops the server.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from tests.crawler.fixture_site import CASSETTE, FIXED_PORT, build_site
from tests.crawler.site_server import SiteServer
from tests.crawler.test_run import newswatch, setup_workspace


def main() -> int:
    with tempfile.TemporaryDirectory() as scratch, SiteServer(port=FIXED_PORT) as server:
        build_site(server)
        config = setup_workspace(Path(scratch), server.base_url)
        result = newswatch(config, "run", "--record", str(CASSETTE))
    print(result.stdout, result.stderr, sep="\n")
    return result.returncode


if __name__ == "__main__":
    sys.exit(main())
