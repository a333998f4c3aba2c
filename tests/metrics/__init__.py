"""Tests of metrics/ (the tree mirrors the product's)."""
