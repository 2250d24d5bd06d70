"""Alembic environment: runs core's and every system's migration branch against one database."""

from alembic import context

from iasante.core.db import Base, get_engine, import_all_tables

import_all_tables()
config = context.config
url = config.attributes.get("url")

with get_engine(url).connect() as connection:
    context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
