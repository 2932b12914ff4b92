"""Benchmarks: each prints its figures beside a named baseline run in the same process tree."""
