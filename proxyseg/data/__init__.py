"""Benchmark facts (datasets, backbones, published numbers) and prepared-data checks."""
