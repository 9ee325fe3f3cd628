"""Roadmaps API: roadmaps and their timeline, items and their links to key results, and item
dependencies, one module each."""
