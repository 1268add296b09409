"""Storage: SQLAlchemy 2 models, the database handle, and Alembic migrations.

Repositories never commit: the use case that opens a transaction owns it.
"""
