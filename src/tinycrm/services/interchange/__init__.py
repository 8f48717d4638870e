"""Import and export (vCard, CSV, JSON), backup and restore, copying between stores."""
