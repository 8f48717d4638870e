"""The use cases. One module per area; each function takes the :class:`~tinycrm.db.Database` first, runs one
transaction, validates, raises :class:`~tinycrm.errors.CrmError`, and returns read models from
:mod:`tinycrm.schemas`. Faces (CLI, TUI) call these and nothing below them."""
