"""Tests of ui/ (the tree mirrors the product's)."""
