"""Presentation: Folium maps, HTML pages and reports. Receives data, runs no SQL of its own."""
