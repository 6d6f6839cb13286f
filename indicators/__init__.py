"""Indicator catalogue, observation import, composite indices, classification, hot spots and disclosure control.

May import `geo`, never `web` or `service`; functions take a SQLAlchemy connection as their first argument.
"""
