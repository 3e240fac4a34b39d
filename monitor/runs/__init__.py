"""Runs: what a run crawls, the checks before it, one crawl run (run, check, daemon, worker), status."""
