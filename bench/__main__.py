"""``python -m bench [--n 1000,10000]``: the benchmark suite; prints a table, writes ``bench/RESULTS.md``.

Not a test. See ``bench/README.md`` for what each figure measures. The first N always runs in full
(first crawl, re-check, urlwatch's first run and re-check, PostgreSQL, a profiled first crawl); each larger
N runs only when the previous one, scaled linearly, says it fits in ``--budget-minutes`` (the whole set,
else the first crawl alone). Then the daemon's memory over ``--daemon-cycles`` crawls, and issue 12's
targets as ratios measured in this run.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from collections import Counter
from pathlib import Path

from bench.bench_daemon_memory import DaemonMemory, measure
from bench.crawl import BenchError, CrawlSet, crawl_set, empty_run, say, scratch_folder
from bench.figures import change_detection
from bench.peer import PeerUnavailable, peer_python
from bench.report import load, results, table, targets_table
from bench.site import Template, templates
from bench.workspace import postgres_available

HERE = Path(__file__).resolve().parent


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", default="1000,10000",
                        help="article counts, comma-separated (default 1000,10000)")
    parser.add_argument("--budget-minutes", type=float, default=15.0,
                        help="run a larger N only if its estimated time fits (default 15)")
    parser.add_argument("--no-postgres", action="store_true", help="skip the PostgreSQL first crawl")
    parser.add_argument("--no-profile", action="store_true", help="skip the profiled first crawl")
    parser.add_argument("--no-peer", action="store_true", help="skip urlwatch (the peer)")
    parser.add_argument("--daemon-cycles", type=int, default=200,
                        help="crawls of the daemon-memory figure (default 200; 0 skips it)")
    parser.add_argument("--output", type=Path, default=HERE / "RESULTS.md", help="where to write the results")
    args = parser.parse_args(argv)
    args.sizes = sorted({int(part.replace("_", "")) for part in args.n.split(",") if part.strip()})
    if not args.sizes or min(args.sizes) < 1:
        parser.error("--n needs positive article counts")
    return args


def plan_next(n: int, done: CrawlSet, budget: float) -> tuple[str | None, str]:
    """What to run for ``n`` after ``done``: "full", "first" (the first crawl alone) or None; and why."""
    scale = n / done.n
    runs = [c for c in (done.first, done.recheck, done.postgres, done.postgres_recheck) if c is not None]
    peer = done.peer.first.run.seconds + done.peer.recheck.run.seconds if done.peer is not None else 0.0
    full = (sum(c.run.seconds for c in runs) + peer + done.build_seconds) * scale
    first = (done.first.run.seconds + done.build_seconds) * scale
    estimate = f"estimated from N={done.n:,}: {full / 60:.0f} min for the set, {first / 60:.0f} min for the first crawl"
    if full <= budget:
        return "full", f"N={n:,}: the whole set ({estimate})"
    if first <= budget:
        return "first", f"N={n:,}: first crawl only ({estimate}; budget {budget / 60:.0f} min)"
    return None, f"N={n:,} not run ({estimate}; budget {budget / 60:.0f} min; `--budget-minutes` raises it)"


def run_sets(args: argparse.Namespace, found: list[Template], postgres: bool, notes: list[str],
             scratch: Path, peer: Path | str) -> list[CrawlSet]:
    sets: list[CrawlSet] = []
    for n in args.sizes:
        mode: str | None = "full"
        if sets:
            mode, why = plan_next(n, sets[-1], args.budget_minutes * 60)
            say(why)
            notes.append(why)
            if mode is None:
                break
        try:
            done = crawl_set(found, n, scratch, again=mode == "full", postgres=postgres and mode == "full",
                             profile=not args.no_profile and not sets, peer=peer if mode == "full" else None)
        except (BenchError, subprocess.TimeoutExpired) as exc:
            if not sets:
                raise
            notes.append(f"N={n:,} failed: {str(exc)[:600]}")
            break
        sets.append(done)
        if done.peer_note:
            notes.append(done.peer_note)
    return sets


def the_peer(args: argparse.Namespace) -> Path | str:
    """The peer environment's Python, or why urlwatch does not run."""
    if args.no_peer:
        return "urlwatch: not run (--no-peer)"
    say("urlwatch: the peer's virtual environment")
    try:
        return peer_python()
    except PeerUnavailable as exc:
        return f"urlwatch: not run ({str(exc)[:600]})"


def daemon_memory(cycles: int, notes: list[str]) -> DaemonMemory | None:
    if cycles <= 0:
        return None
    say(f"daemon memory over {cycles} crawls")
    try:
        return measure(cycles)[0]
    except (RuntimeError, OSError, subprocess.SubprocessError) as exc:
        notes.append(f"daemon memory failed: {str(exc)[:600]}")
        return None


def error_notes(sets: list[CrawlSet]) -> list[str]:
    """The errors the runs counted, each once with the number of runs that had it."""
    runs = [c for s in sets for c in (s.first, s.recheck, s.postgres, s.postgres_recheck) if c is not None]
    seen = Counter(error for c in runs for error in c.errors)
    return [f"{count} of {len(runs)} runs counted the error {error} (exit status 1)" for error, count in seen.items()]


def main(argv: list[str] | None = None) -> None:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    before = load()
    notes: list[str] = []
    postgres = not args.no_postgres and postgres_available()
    if not postgres:
        notes.append("PostgreSQL: not run (" + ("--no-postgres" if args.no_postgres else
                                                "no server at 127.0.0.1:5432") + ")")
    say("templates: extracting the fixture articles")
    found = templates()
    say("change detection on 50,000-character texts")
    changes = change_detection()
    peer = the_peer(args)
    with scratch_folder() as scratch:
        fixed = empty_run(Path(scratch) / "empty")
        say(f"a run with nothing to crawl: {fixed.seconds:.2f} s")
        sets = run_sets(args, found, postgres, notes, Path(scratch), peer)
    daemon = daemon_memory(args.daemon_cycles, notes)
    notes.extend(error_notes(sets))
    args.output.write_text(results(changes, sets, fixed, notes, before, daemon, peer), encoding="utf-8")
    print(table(changes, sets, fixed))
    print()
    print(targets_table(sets, fixed, daemon))
    for note in notes:
        print(f"note: {note}")
    print(f"written: {args.output}")


if __name__ == "__main__":
    main()
