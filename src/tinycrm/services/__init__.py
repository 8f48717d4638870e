"""The use cases. One module per area; each function takes the :class:`~tinycrm.store.database.Database` first, runs one
transaction, validates, raises :class:`~tinycrm.domain.errors.CrmError`, and returns read models from
:mod:`tinycrm.domain.people`. Faces (CLI, TUI) call these and nothing below them."""
