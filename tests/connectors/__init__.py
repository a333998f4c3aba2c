"""Tests of connectors/ (the tree mirrors the product's)."""
