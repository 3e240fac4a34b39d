"""The corpus format: documents with YAML front matter, the folder that holds them."""
