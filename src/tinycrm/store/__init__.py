"""Storage: the Database and its transactions over sqlite3/psycopg, the SQL kit, the search index, the
schema (SQLModel), migrations and the connection pool. Knows nothing of services or faces."""
