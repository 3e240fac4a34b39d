#!/usr/bin/env bash
# The offline demo (`make demo`): the main job replayed twice from committed cassettes, with a change in
# between, and its alerts delivered as signed webhooks to a local receiver. No network is used.
#
#   moment 1 (tests/cassettes/moments_1.yaml): a news site with five articles, all new
#   moment 2 (tests/cassettes/moments_2.yaml): one article gets a correction appended, one headline is
#            rewritten, one page is briefly WeChat's expired-link page (an anomaly, not a change),
#            a sixth article appears, and two pages change only in noise (related-list timestamps)
#
# Environment (all optional):
#   DEMO_DIR   scratch folder, wiped at the start (default: data/demo in the repository)
#   DEMO_BIN   folder holding the virtualenv's python and newswatch (default: .venv/bin)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

DEMO_DIR="${DEMO_DIR:-data/demo}"
DEMO_BIN="${DEMO_BIN:-.venv/bin}"
case "$DEMO_DIR" in /*) ;; *) DEMO_DIR="$ROOT/$DEMO_DIR" ;; esac
case "$DEMO_BIN" in /*) ;; *) DEMO_BIN="$ROOT/$DEMO_BIN" ;; esac
PYTHON="$DEMO_BIN/python"
NEWSWATCH="$DEMO_BIN/newswatch"
MARKER=".newswatch-demo"

for tool in "$PYTHON" "$NEWSWATCH"; do
    if [[ ! -x "$tool" ]]; then
        echo "demo: $tool not found; run 'make demo' (it sets up .venv) or set DEMO_BIN" >&2
        exit 2
    fi
done

# The demo's own storage and config only: nothing from the caller's environment.
unset NEWSWATCH_DATABASE_URL NEWSWATCH_CONFIG
export PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}"   # tests.* (the fixture workspace) and scripts

# --- a fresh scratch folder (only ever one this script made) ------------------------------------------
if [[ -e "$DEMO_DIR" ]]; then
    if [[ -n "$(ls -A "$DEMO_DIR")" && ! -e "$DEMO_DIR/$MARKER" ]]; then
        echo "demo: $DEMO_DIR exists and was not made by the demo; refusing to wipe it" >&2
        exit 2
    fi
    rm -rf -- "$DEMO_DIR"
fi
mkdir -p "$DEMO_DIR"
touch "$DEMO_DIR/$MARKER"

section() { printf '\n=== %s ===\n' "$*"; }

# --- (a) the webhook receiver -------------------------------------------------------------------------
NEWSWATCH_WEBHOOK_SECRET="$("$PYTHON" -c 'import secrets; print(secrets.token_hex(32))')"
export NEWSWATCH_WEBHOOK_SECRET
RECEIVER_LOG="$DEMO_DIR/receiver.log"
RECEIVER_URL_FILE="$DEMO_DIR/receiver.url"
RECEIVER_PID=""

stop_receiver() {
    if [[ -n "$RECEIVER_PID" ]]; then
        kill -TERM "$RECEIVER_PID" 2>/dev/null || true
        wait "$RECEIVER_PID" 2>/dev/null || true
        RECEIVER_PID=""
    fi
}
trap stop_receiver EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

section "starting the webhook receiver"
"$PYTHON" "$ROOT/scripts/demo_receiver.py" 0 --seconds 600 --ready-file "$RECEIVER_URL_FILE" \
    >"$RECEIVER_LOG" 2>&1 &
RECEIVER_PID=$!
for _ in $(seq 1 100); do
    [[ -s "$RECEIVER_URL_FILE" ]] && break
    if ! kill -0 "$RECEIVER_PID" 2>/dev/null; then
        cat "$RECEIVER_LOG" >&2
        echo "demo: the receiver did not start" >&2
        exit 1
    fi
    sleep 0.1
done
if [[ ! -s "$RECEIVER_URL_FILE" ]]; then
    echo "demo: the receiver did not start within 10 s" >&2
    exit 1
fi
RECEIVER_URL="$(cat "$RECEIVER_URL_FILE")"
echo "receiver at $RECEIVER_URL (pid $RECEIVER_PID), shared secret in \$NEWSWATCH_WEBHOOK_SECRET"

# --- (b) the workspace: the fixture site's seeds and config, plus a webhook channel -------------------
section "writing the workspace in $DEMO_DIR"
BASE_URL="$("$PYTHON" -c 'from tests.monitor.moments_site import FIXED_PORT; print(f"http://127.0.0.1:{FIXED_PORT}")')"
CONFIG="$("$PYTHON" - "$DEMO_DIR" "$BASE_URL" <<'PY'
import sys
from pathlib import Path

from tests.crawler.fixture_site import write_workspace

print(write_workspace(Path(sys.argv[1]), sys.argv[2]))
PY
)"
cat >>"$CONFIG" <<EOF

[[alerts.channels]]
name = "demo"
kind = "webhook"
url = "${RECEIVER_URL}hooks/newswatch"
timeout = 5.0
secret_env = "NEWSWATCH_WEBHOOK_SECRET"
events = ["article.new", "article.changed", "article.anomaly"]
EOF
cat "$CONFIG"

nw() { "$NEWSWATCH" --config "$CONFIG" "$@"; }

# --- (c) migrations, then the main job replayed at two moments ----------------------------------------
section "newswatch db upgrade"
nw db upgrade

section "newswatch run --replay tests/cassettes/moments_1.yaml   (moment 1: five new articles)"
nw run --replay "$ROOT/tests/cassettes/moments_1.yaml"

section "newswatch run --replay tests/cassettes/moments_2.yaml   (moment 2: the site changed)"
nw run --replay "$ROOT/tests/cassettes/moments_2.yaml"

# --- (d) what it recorded -----------------------------------------------------------------------------
CORPUS="$DEMO_DIR/data/corpus"
section "the corpus folder ($CORPUS)"
(cd "$CORPUS" && ls -l . changes)

# the article that got a correction appended (page "a" of tests/monitor/moments_site.py)
CHANGED_URL="$BASE_URL/2025/05/01/a.html"
CHANGE_DOC="$(grep -l -F "url: $CHANGED_URL" "$CORPUS"/changes/*.txt | head -n 1 || true)"
if [[ -z "$CHANGE_DOC" ]]; then
    echo "demo: no change document for $CHANGED_URL" >&2
    exit 1
fi
section "a change document: changes/$(basename "$CHANGE_DOC")"
cat "$CHANGE_DOC"

section "newswatch history $CHANGED_URL"
nw history "$CHANGED_URL"

section "the receiver's output (signed webhooks received)"
stop_receiver
cat "$RECEIVER_LOG"

printf '\ndemo done: workspace, database and corpus are in %s\n' "$DEMO_DIR"
