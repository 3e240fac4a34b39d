"""The monitor: config, sources, schedule, changes, alerts, runs, daemon, queue, housekeeping, web, cli."""

if __name__ != "newswatch.monitor":  # imported by its folder's name: a second copy of every module
    raise ImportError(f"import newswatch.monitor, not {__name__} (the folder is linked into the newswatch package)")
