"""Database adapter: SQLAlchemy 2 (async) tables, Alembic migrations, the SQL repository."""

from pbx.adapters.db.engine import create_engine
from pbx.adapters.db.migrate import current_revision, migrate
from pbx.adapters.db.repository import SqlRepository, open_repository

__all__ = ["SqlRepository", "create_engine", "current_revision", "migrate", "open_repository"]
