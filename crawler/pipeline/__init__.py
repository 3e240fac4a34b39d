"""Pipeline: the spider's records handed to the recorder, in batched transactions."""
