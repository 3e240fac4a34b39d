"""Extract: a fetched page in, an article (or the reason it is none) out."""
