"""Imports: one entry point for every kind of file, below the command line and the HTTP API that use it.

- `kinds`: the registry (kind -> option parser, role, atomic import) that both entry points go through
- `options`: the one option parser (text fields of a form or the CLI -> typed options; `OptionError`)
- `tables`: reading statistics-office tables (CSV/XLSX, encodings, decimal commas, special symbols, periods)
- `observations`: the observation import; its steps `observation_rows` (shaping into long rows),
  `observation_checks` (validating them) and `observation_store` (the COPY-based write)

The report every import returns, the limits it is held to and its all-or-nothing transaction live one layer
down in `geo.import_report`, and reading vector files in `geo.vector_files`, with the geometry imports (boundaries,
points, grid, polygons) that use them too.
"""
