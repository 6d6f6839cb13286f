"""`python -m service` = `district-monitor`."""

from service.cli import app

app()
