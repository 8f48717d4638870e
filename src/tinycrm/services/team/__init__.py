"""Users, PostgreSQL roles and the audit log."""
