"""Benchmark of the article page against a minimal view (see README.md)."""
