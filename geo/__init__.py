"""Spatial core: area levels, versioned boundaries, boundary import, GeoJSON/MVT SQL and spatial aggregation.

Imports nothing of ours (see ARCHITECTURE.md); functions take a SQLAlchemy connection as their first argument.
"""
