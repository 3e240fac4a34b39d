"""Sources: the registry, the seeds, OPML, and the sources a user adds."""
