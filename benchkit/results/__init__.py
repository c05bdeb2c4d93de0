"""Results of a run: the append-only journal, and everything derived from it."""
