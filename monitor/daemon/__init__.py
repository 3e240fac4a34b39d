"""The daemon: scheduled crawls on one event loop, its HTTP endpoints, log and metrics."""
