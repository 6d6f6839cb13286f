"""Alembic environment: runs migrations on the connection handed over by `service.db.upgrade`."""

from alembic import context

from geo.schema import metadata

config = context.config
connection = config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata, transaction_per_migration=False)
with context.begin_transaction():
    context.run_migrations(storage_srid=config.attributes.get("storage_srid", 25833))
