"""Alembic environment: always run on a connection handed over by :mod:`tinycrm.store.migrate`."""

from alembic import context

from tinycrm.store.schema import metadata

# tables that belong to the search index of one store, not to the shared schema
INDEX_TABLES = {"contact_search", "kb_search"}


def include_object(obj, name, type_, reflected, compare_to):  # noqa: ANN001 - Alembic's signature
    if type_ == "table" and (
        name in INDEX_TABLES or (name or "").startswith(("contact_search_", "kb_search_"))
    ):
        return False
    return True


connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    include_object=include_object,
    compare_type=True,
    compare_server_default=False,
)
with context.begin_transaction():
    context.run_migrations()
