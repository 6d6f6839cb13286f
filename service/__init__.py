"""HTTP service, settings, database engine, embedded PostGIS and command line of district-monitor.

The only package that owns engines, pools and settings; it calls into `web`, `indicators` and `geo`.
"""
