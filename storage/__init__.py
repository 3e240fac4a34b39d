"""Storage: models, migrations, queries by table family, the corpus format, the one exception tree."""

if __name__ != "newswatch.storage":  # imported by its folder's name: a second copy of every module
    raise ImportError(f"import newswatch.storage, not {__name__} (the folder is linked into the newswatch package)")
