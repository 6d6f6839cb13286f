"""HTML pages to PDF with WeasyPrint (CSS Paged Media: @page A4, running footers, page numbers).

The pages reference /static/... stylesheets; the URL fetcher serves those from web/static and data: URIs,
and refuses everything else, so rendering a PDF never touches the network.
"""

from __future__ import annotations

import logging
from functools import cache

from web.templates import STATIC_DIR

PAGE_BASE = "http://district-monitor.invalid/"
MEDIA_TYPES = {".css": "text/css", ".svg": "image/svg+xml", ".png": "image/png"}
logging.getLogger("weasyprint").setLevel(logging.ERROR)
logging.getLogger("fontTools").setLevel(logging.ERROR)


@cache
def static_only_fetcher() -> type:
    """The URL fetcher class, defined on first use: WeasyPrint takes most of a second to import, and only PDF
    requests need it."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class StaticOnlyFetcher(URLFetcher):
        """Serves /static from disk and data: URIs; anything else is an error (no network while printing)."""

        def fetch(self, url, headers=None):
            if url.startswith("data:"):
                return super().fetch(url, headers)
            prefix = PAGE_BASE + "static/"
            if not url.startswith(prefix):
                raise ValueError(f"not fetched while printing: {url}")
            root = STATIC_DIR.resolve()
            path = (root / url[len(prefix):].split("?")[0]).resolve()
            if root not in path.parents or not path.is_file():
                raise ValueError(f"no static file for {url}")
            return URLFetcherResponse(url, path.read_bytes(),
                                      {"Content-Type": MEDIA_TYPES.get(path.suffix, "application/octet-stream")})

    return StaticOnlyFetcher


def html_to_pdf(html: str) -> bytes:
    from weasyprint import HTML  # imported on first use (see static_only_fetcher)

    return HTML(string=html, base_url=PAGE_BASE, url_fetcher=static_only_fetcher()()).write_pdf()
