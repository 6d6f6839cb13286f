"""The one exception for a request member that an analysis cannot use (typology, clusters, rates, segregation,
gaps): it names the member (`field`), the HTTP status it becomes (4xx) and, optionally, problem members such as
`available` (what would work). `service.errors.domain_errors()` maps it to application/problem+json in one line;
each analysis subclasses it only to keep its own name in tracebacks and `except` clauses."""

from __future__ import annotations

from datetime import date
from typing import Any


class FieldInputError(ValueError):
    def __init__(self, field: str, message: str, status: int = 422, **extra: Any) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message
        self.status = status
        # dates as ISO text, so that the problem body is JSON as it stands
        self.extra = {name: [v.isoformat() if isinstance(v, date) else v for v in value]
                      if isinstance(value, list | tuple) else value for name, value in extra.items()}
