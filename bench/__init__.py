"""Benchmarks: `python -m bench.<name>`; each prints its figures and ratios against targets."""
