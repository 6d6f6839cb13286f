"""Alembic environment: runs migrations on the connection handed over by `service.db` (upgrade, downgrade).

Options for the migrations travel on `config.attributes` and are read through `service.migrations.options`;
the schema itself is written out in the migrations (no SQLAlchemy metadata, no autogenerate).
"""

from alembic import context

config = context.config
context.configure(connection=config.attributes["connection"], target_metadata=None, transaction_per_migration=False)
with context.begin_transaction():
    context.run_migrations()
