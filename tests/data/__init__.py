"""Tests of data/ (the tree mirrors the product's)."""
