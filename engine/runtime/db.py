"""Database plumbing: the declarative base, engines for SQLite (WAL) and PostgreSQL, sessions."""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Any, TypeVar

from sqlalchemy import DateTime, LargeBinary, MetaData, TypeDecorator, create_engine, event
from sqlalchemy.engine import Connection, Dialect, Engine
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.orm import DeclarativeBase, Session, make_transient_to_detached, sessionmaker
from sqlalchemy.sql.base import Executable

from engine.runtime.packing import pack, unpack

DEFAULT_URL = "sqlite:///instance/motcua.sqlite"
WRITE_OPTION = "motcua_write"

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every backend (SQLite keeps no zone, so we restore it on read)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


# JSON columns keep Vietnamese letters as UTF-8 (2–3 bytes) rather than as \uXXXX escapes (6 bytes each),
# without the spaces after separators.
_json = partial(json.dumps, ensure_ascii=False, separators=(",", ":"))


class PackedText(TypeDecorator[str]):
    """Text kept packed (engine.runtime.packing), for large values nothing queries inside (a dossier's engine
    state: ~5 KB of JSON, mostly repeated keys, packs to ~0.8 KB). Readers and writers see the text."""

    impl = LargeBinary
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: object) -> bytes | None:
        return None if value is None else pack(value.encode("utf-8"))

    def process_result_value(self, value: bytes | None, dialect: object) -> str | None:
        return None if value is None else unpack(value).decode("utf-8")


class PackedJSON(TypeDecorator[Any]):
    """JSON kept packed (engine.runtime.packing), for documents read whole and never queried inside (a
    dossier's legal clock, what a paper was filled with): their repeated keys, timestamps and labels pack to
    less than half, where neither database compresses values this small. Readers and writers see the JSON."""

    impl = LargeBinary
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: object) -> bytes | None:
        return None if value is None else pack(_json(value).encode("utf-8"))

    def process_result_value(self, value: bytes | None, dialect: object) -> Any:
        return None if value is None else json.loads(unpack(value))


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UtcDateTime}


def database_url() -> str:
    return os.environ.get("DATABASE_URL", DEFAULT_URL)


def make_engine(url: str | None = None, **kwargs: object) -> Engine:
    url = url or database_url()
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT}, json_serializer=_json, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin_immediate)
        return engine
    engine = create_engine(url, json_serializer=_json, **kwargs)
    event.listen(engine.pool, "connect", _mark_idle)
    event.listen(engine.pool, "checkin", _mark_idle)
    event.listen(engine.pool, "checkout", _ping_if_idle)
    event.listen(engine, "begin", _postgres_begin_later)
    event.listen(engine, "before_cursor_execute", _postgres_begin_now)
    event.listen(engine, "commit", _postgres_begun)
    event.listen(engine, "rollback", _postgres_begun)
    return engine


# A command's transaction on PostgreSQL: its connection is in the driver's autocommit mode and the BEGIN is
# ours, sent with the transaction's first statement (`Prepared` puts it in the same round trip, e.g. with the
# dossier's read at a command's start). psycopg would send its own BEGIN and wait for it alone: a round trip
# per command. COMMIT and ROLLBACK are psycopg's, which sends them whenever the server is in a transaction.
_BEGIN_PENDING = "motcua_begin_pending"


def _postgres_begin_later(conn: Connection) -> None:
    if conn.get_execution_options().get(WRITE_OPTION):
        conn.info[_BEGIN_PENDING] = True


def _postgres_begin_now(conn: Connection, cursor: Any, *_args: Any) -> None:
    """Before a statement SQLAlchemy runs (the ORM's, a SAVEPOINT…): the pending BEGIN first."""
    if conn.info.pop(_BEGIN_PENDING, False):
        cursor.execute("BEGIN")


def _begins(conn: Connection) -> bool:
    """Whether the next statement on `conn` opens its transaction, outside a pipeline: the BEGIN and the statement
    then go in one (PostgreSQL)."""
    return bool(conn.info.get(_BEGIN_PENDING)) and not conn.connection.dbapi_connection.pgconn.pipeline_status


def _postgres_begun(conn: Connection) -> None:
    if not conn.invalidated:  # a lost connection's record is dropped with it
        conn.info.pop(_BEGIN_PENDING, None)  # a transaction that ran no statement: nothing was begun


# A connection is checked before use only when it sat idle this long (as HikariCP does): a busy server
# saves a round trip per command, and one left idle across a database restart is replaced, not failed.
PING_AFTER_IDLE = 1.0


def _mark_idle(_dbapi_connection, record) -> None:  # type: ignore[no-untyped-def]
    record.info["idle_since"] = time.monotonic()


def _ping_if_idle(dbapi_connection, record, _proxy) -> None:  # type: ignore[no-untyped-def]
    if time.monotonic() - record.info.get("idle_since", 0.0) < PING_AFTER_IDLE:
        return
    try:
        cursor = dbapi_connection.cursor()
        cursor.execute("SELECT 1")
        cursor.close()
        dbapi_connection.rollback()
    except Exception as err:
        raise DisconnectionError("the database connection was lost") from err


# The WAL is copied back into the database file once it holds this many pages (40 MB; SQLite's default is 1,000),
# by the commit that crosses the mark. A command writes ~17 pages, many the same ones again (the day's figures,
# the index pages it last touched): copied every 10,000 pages they are copied once where every 1,000 they were
# copied ten times, and the database file synced a tenth as often (the platform ran 4-7 % faster, bench).
# The outbox process also copies in the background, beside the requests (checkpoint).
WAL_CHECKPOINT_PAGES = 10_000
# How long a statement waits for a lock another connection holds before it fails ("database is locked").
BUSY_TIMEOUT = 30.0
_BUSY_TIMEOUT = f"PRAGMA busy_timeout={int(BUSY_TIMEOUT * 1000)}"
# The wait for the write lock: tries 50 µs apart at first, then at most 1 ms apart. SQLite's own busy handler
# sleeps 1, 2, 5, 10, 15… ms between tries (sqliteDefaultBusyCallback), however soon the lock is free: a
# command that met the outbox process's commit of a receipt (a lock held well under a millisecond) slept 3 ms
# at p90 and 19 ms at p99 (bench, SQLite), 2.4 ms per HTTP instance on average.
_FIRST_TRY_AFTER, _TRIES_AT_MOST_APART = 50e-6, 1e-3


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    # pysqlite's own transaction handling is off so that BEGIN IMMEDIATE below is ours.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA wal_autocheckpoint={WAL_CHECKPOINT_PAGES}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(_BUSY_TIMEOUT)
    cursor.close()


def checkpoint(engine: Engine) -> None:
    """Copy what the WAL holds back into the database file, without waiting for any reader or writer (SQLite;
    nothing elsewhere). Run beside the requests (the outbox process), it leaves the commit that crosses
    WAL_CHECKPOINT_PAGES little to copy: that copy and its sync are otherwise paid inside a command."""
    if engine.dialect.name != "sqlite":
        return
    raw = engine.raw_connection()  # outside a transaction: a checkpoint cannot run in one
    try:
        raw.driver_connection.execute("PRAGMA wal_checkpoint(PASSIVE)")
    finally:
        raw.close()


def _sqlite_begin_immediate(conn) -> None:  # type: ignore[no-untyped-def]
    # A command takes the write lock at its start, so two writers queue instead of failing on upgrade;
    # plain reads begin a deferred transaction and run beside writers (WAL).
    # On the driver's cursor: exec_driver_sql would build a result and dispatch events, ~35 µs a transaction.
    write = bool(conn.get_execution_options().get(WRITE_OPTION))
    sql = "BEGIN IMMEDIATE" if write else "BEGIN"
    cursor = conn.connection.dbapi_connection.cursor()
    try:
        with _driver_errors(conn.dialect, sql, ()):  # e.g. still locked after BUSY_TIMEOUT
            if write:
                _take_write_lock(cursor)
            else:
                cursor.execute(sql)
    finally:
        cursor.close()


def _take_write_lock(cursor: sqlite3.Cursor) -> None:
    """BEGIN IMMEDIATE, tried again until the lock is free or BUSY_TIMEOUT has passed."""
    cursor.execute("PRAGMA busy_timeout=0")
    try:
        delay, deadline = _FIRST_TRY_AFTER, 0.0
        while True:
            try:
                cursor.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as err:
                now = time.monotonic()
                if err.sqlite_errorcode & 0xFF != sqlite3.SQLITE_BUSY or (deadline and now > deadline):
                    raise
                deadline = deadline or now + BUSY_TIMEOUT
            time.sleep(delay)
            delay = min(2 * delay, _TRIES_AT_MOST_APART)
    finally:
        cursor.execute(_BUSY_TIMEOUT)


@contextmanager
def _driver_errors(dialect: Dialect, sql: str | None = None, params: Any = None) -> Iterator[None]:
    """The driver's errors raised as SQLAlchemy's (IntegrityError, OperationalError…), as `conn.execute`
    raises them, for statements run on the driver's cursor."""
    error = dialect.loaded_dbapi.Error
    try:
        yield
    except error as err:
        raise DBAPIError.instance(sql, params, err, error, dialect=dialect) from err


@dataclass(frozen=True)
class _DriverForm:
    sql: str
    names: tuple[str, ...]
    processors: tuple[Callable[[Any], Any] | None, ...]
    positional: bool
    # What a SELECT returns: its column names and their result processors.
    columns: tuple[str, ...]
    readers: tuple[Callable[[Any], Any] | None, ...]
    # Binds the statement gives its value itself (a LIMIT, a literal in a condition).
    fixed: dict[str, Any]


class Prepared:
    """A statement of the hot path, compiled once per database and run on the driver's cursor.

    `conn.execute(statement)` looks its compiled form up and builds an execution context on every call: on
    SQLite that is ~60 µs of the ~75 µs a small INSERT takes, and every command runs about ten. Here the SQL
    and the bind and result processors (UTC datetimes, JSON, packed text) come from SQLAlchemy's own
    compilation, once, and the driver's errors are raised as SQLAlchemy's. Every bind without a value of
    its own must be given, defaults included (a column default is not applied), which the first
    compilation checks.
    """

    def __init__(self, statement: Executable, keys: Iterable[str] = ()) -> None:
        self._statement = statement
        self._keys = list(keys)
        self._forms: dict[str, _DriverForm] = {}
        self._lock = threading.Lock()

    def _form(self, dialect: Dialect) -> _DriverForm:
        form = self._forms.get(dialect.name)
        if form is None:
            compiled = self._statement.compile(dialect=dialect, column_keys=self._keys)  # type: ignore[attr-defined]
            binds = {name: bind for bind, name in compiled.bind_names.items()}
            names = tuple(compiled.positiontup) if dialect.positional else tuple(binds)
            fixed = {n: binds[n].value for n in names if n not in self._keys and binds[n].value is not None}
            unknown = set(names) - set(self._keys) - set(fixed)
            if unknown:
                raise ValueError(f"a prepared statement needs values for {sorted(unknown)}")
            processors = tuple(binds[n].type.dialect_impl(dialect).bind_processor(dialect) for n in names)
            # A SELECT's columns, or an INSERT's RETURNING.
            returned = list(getattr(self._statement, "exported_columns", ()))
            readers = tuple(c.type.dialect_impl(dialect).result_processor(dialect, None) for c in returned)
            form = _DriverForm(compiled.string, names, processors, dialect.positional,
                               tuple(c.key for c in returned), readers, fixed)
            with self._lock:
                self._forms[dialect.name] = form
        return form

    def execute(self, conn: Connection, params: Mapping[str, Any] | Sequence[Mapping[str, Any]]) -> None:
        """Run a write with one set of parameters, or with many (executemany)."""
        if _begins(conn):
            with pipelined(conn):
                self.execute(conn, params)
            return
        form = self._form(conn.dialect)
        if isinstance(params, Mapping):
            self._run(conn, form, self._bound(form, params)).close()
        else:
            self._run(conn, form, [self._bound(form, p) for p in params], many=True).close()

    def counted(self, conn: Connection, params: Mapping[str, Any]) -> Callable[[], int]:
        """Run an UPDATE or DELETE; the returned function gives how many rows it changed (inside `pipelined`
        on PostgreSQL, once the block has ended)."""
        cursor = self._run(conn, form := self._form(conn.dialect), self._bound(form, params))
        return lambda: cursor.rowcount

    def rows(self, conn: Connection, params: Mapping[str, Any]) -> list[dict[str, Any]]:
        """Run a SELECT, or an INSERT … RETURNING: its rows as {column: value}, the values as
        `conn.execute` would give them."""
        if _begins(conn):
            with pipelined(conn):  # the statement and the transaction's BEGIN in one round trip
                later = self.rows_later(conn, params)
            return later()
        return self.rows_later(conn, params)()

    def rows_later(self, conn: Connection, params: Mapping[str, Any]) -> Callable[[], list[dict[str, Any]]]:
        """`rows`, read by the returned function: inside `pipelined` on PostgreSQL, once the block has ended."""
        form = self._form(conn.dialect)
        cursor = self._run(conn, form, self._bound(form, params))

        def read() -> list[dict[str, Any]]:
            try:
                return [{c: v if r is None else r(v) for c, r, v in zip(form.columns, form.readers, row, strict=True)}
                        for row in cursor.fetchall()]
            finally:
                cursor.close()
        return read

    @staticmethod
    def _run(conn: Connection, form: _DriverForm, params: Any, many: bool = False) -> Any:
        if not conn.in_transaction():
            conn.begin()  # as conn.execute would (autobegin): on SQLite the BEGIN is ours (_sqlite_begin_immediate)
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        with _driver_errors(conn.dialect, form.sql, params):
            if conn.info.pop(_BEGIN_PENDING, False):
                cursor.execute("BEGIN")  # PostgreSQL: inside `pipelined`, in the statement's round trip
            if many:
                cursor.executemany(form.sql, params)
            else:
                cursor.execute(form.sql, params)
        return cursor

    @staticmethod
    def _bound(form: _DriverForm, params: Mapping[str, Any]) -> Any:
        if form.fixed:
            params = {**form.fixed, **params}
        values = [params[n] if p is None else p(params[n]) for n, p in zip(form.names, form.processors, strict=True)]
        return tuple(values) if form.positional else dict(zip(form.names, values, strict=True))


@contextmanager
def pipelined(conn: Connection) -> Iterator[None]:
    """On PostgreSQL, the statements run inside go to the server together and are waited on once, at the
    end (psycopg's pipeline mode), instead of a round trip each; elsewhere they simply run. Only writes whose
    results nobody reads belong inside (Prepared.execute of INSERT, UPDATE, upserts): rows and rowcounts
    are not there before the end. An error of any of them is raised by the block, as SQLAlchemy's."""
    if conn.dialect.name != "postgresql":
        yield
        return
    with _driver_errors(conn.dialect), conn.connection.dbapi_connection.pipeline():  # type: ignore[union-attr]
        yield


_CONNECTION = "motcua_connection"


def connection(session: Session) -> Connection:
    """`session.connection()`, looked up once per transaction: the ORM resolves the bind and walks its
    transaction's state on every call (~17 µs), and a command's hot path asks for it about seven times."""
    transaction = session.get_transaction()
    known = session.info.get(_CONNECTION)
    if transaction is not None and known is not None and known[0] is transaction:
        return known[1]
    conn = session.connection()
    session.info[_CONNECTION] = (session.get_transaction(), conn)
    return conn


_Row = TypeVar("_Row")


def insert_as_read(session: Session, statement: Prepared, model: type[_Row], values: dict[str, Any],
                   **unwritten: Any) -> _Row:
    """Run `statement`, an INSERT of `values` RETURNING the new id, in the caller's transaction, and put the row's
    object in the session as if read back, so that what the caller changes on it is flushed as an UPDATE (the
    ORM's flush of a new object costs more than the INSERT). `unwritten`: attributes the INSERT leaves to their
    column's default. What the session holds is flushed first, as before any statement."""
    session.flush()
    row = model(id=statement.rows(connection(session), values)[0]["id"], **values, **unwritten)
    make_transient_to_detached(row)
    session.add(row)
    return row


def make_read_session_factory(engine: Engine) -> sessionmaker:
    """Sessions that only read (pages, the API, the engine's queries, the checks before a command). On
    PostgreSQL they run outside a transaction: at READ COMMITTED each statement sees the latest commits either
    way, and each session saves the round trips of its BEGIN and ROLLBACK. Outside a transaction whatever a
    session flushed would be committed at once, so a read session refuses to flush anything."""
    if engine.dialect.name == "postgresql":
        engine = engine.execution_options(isolation_level="AUTOCOMMIT")
    factory = make_session_factory(engine)
    event.listen(factory, "before_flush", _refuse_writes)
    return factory


def _refuse_writes(session: Session, _context: object, _instances: object) -> None:
    if session.new or session.dirty or session.deleted:
        raise RuntimeError("a read session does not write: change data in a command (a write session)")


def make_session_factory(engine: Engine, *, write: bool = False) -> sessionmaker:
    """Sessions for reads, or (write=True) for commands that change state."""
    if write:
        engine = engine.execution_options(**{WRITE_OPTION: True})
        if engine.dialect.name == "postgresql":
            engine = engine.execution_options(isolation_level="AUTOCOMMIT")  # the BEGIN is ours: see above
    return sessionmaker(bind=engine, expire_on_commit=False)
