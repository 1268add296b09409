"""User journeys end to end against a real ``anxin serve`` process (SQLite and PostgreSQL)."""
