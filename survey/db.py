"""Engine and per-request sessions. One place commits: :func:`commit_request_session`."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask, Response, current_app, g
from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, create_engine

WRITE_OPTION = "viktigt_write"


def create_db_engine(url: str, *, busy_timeout_ms: int = 30000, **kwargs: Any) -> Engine:
    """Create an engine; SQLite gets WAL, a busy timeout and immediate write transactions."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True, **kwargs)

    engine = create_engine(
        url,
        connect_args={"check_same_thread": False, "timeout": busy_timeout_ms / 1000},
        **kwargs,
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event below issue BEGIN itself.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        if parsed.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # A write transaction takes the write lock at BEGIN, so two writers queue on
        # the busy timeout instead of failing with "database is locked" at COMMIT.
        immediate = connection.get_execution_options().get(WRITE_OPTION, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def begin_write(session: Session) -> None:
    """Start the session's transaction as a write transaction. Call before any query."""
    session.connection(execution_options={WRITE_OPTION: True})


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session for scripts and CLI commands: commits on success, rolls back on error."""
    session = Session(engine, expire_on_commit=False)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def get_engine() -> Engine:
    return get_engine_for(current_app)


def get_engine_for(app: Flask) -> Engine:
    return app.extensions["viktigt.engine"]


def get_session() -> Session:
    """The request's session, opened on first use."""
    if "db_session" not in g:
        g.db_session = Session(get_engine(), expire_on_commit=False)
    return g.db_session


def commit_request_session(response: Response) -> Response:
    """Commit what the request did, unless it failed; a failed commit becomes a 500."""
    session: Session | None = g.pop("db_session", None)
    if session is None:
        return response
    try:
        if response.status_code < 400:
            session.commit()
        else:
            session.rollback()
    except Exception:
        session.rollback()
        raise
    finally:
        session.close()
    return response


def close_request_session(_exc: BaseException | None = None) -> None:
    session: Session | None = g.pop("db_session", None)
    if session is not None:
        session.rollback()
        session.close()


def init_app(app: Flask) -> None:
    engine = create_db_engine(
        app.config["SQLALCHEMY_DATABASE_URI"],
        busy_timeout_ms=app.config["SQLITE_BUSY_TIMEOUT_MS"],
    )
    app.extensions["viktigt.engine"] = engine
    app.after_request(commit_request_session)
    app.teardown_appcontext(close_request_session)
