"""One sweeper at a time, by a lock that is released when its holder dies.

On PostgreSQL the lock is a session advisory lock held on a connection of its own: the server drops it the moment
that connection goes (process killed, host lost), so no clock decides who may sweep. On SQLite the lock is an
operating-system file lock beside the database file (``<database>.sweep-lock``), released by the kernel when the
holding process exits; an in-memory database has one process by definition and uses a lock in that process.

A sweep run by hand (``flask mappa tick``) takes the same lock for the length of the sweep; the scheduler process
(``flask mappa scheduler``) takes it for its whole life, so a second scheduler waits and takes over when the first
is gone.
"""

from __future__ import annotations

import fcntl
import logging
import os
import threading
from typing import IO, Any

from sqlalchemy import Connection, Engine, text

# pg_try_advisory_lock's key: "MAPPA" + "SWEEP" in a bigint, fixed so that every process of every version agrees.
ADVISORY_KEY = 0x4D415050_53574550
_MEMORY_LOCK = threading.Lock()
log = logging.getLogger(__name__)


class SweepLock:
    """``try_acquire()`` without waiting; ``release()``; usable as ``with SweepLock(engine) as held: ...``."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._connection: Connection | None = None
        self._file: IO[Any] | None = None
        self._memory = False

    @property
    def held(self) -> bool:
        return self._connection is not None or self._file is not None or self._memory

    def try_acquire(self) -> bool:
        if self.held:
            return True
        if self.engine.dialect.name == "postgresql":
            return self._try_advisory()
        database = self.engine.url.database
        if not database or database == ":memory:":
            self._memory = _MEMORY_LOCK.acquire(blocking=False)
            return self._memory
        return self._try_file(f"{database}.sweep-lock")

    def release(self) -> None:
        if self._connection is not None:
            connection, self._connection = self._connection, None
            try:
                connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": ADVISORY_KEY})
            finally:
                connection.close()  # closing the session would release it anyway
        if self._file is not None:
            handle, self._file = self._file, None
            fcntl.flock(handle, fcntl.LOCK_UN)
            handle.close()
        if self._memory:
            self._memory = False
            _MEMORY_LOCK.release()

    def alive(self) -> bool:
        """Whether the lock is still ours: on PostgreSQL the holding connection must still answer."""
        if self._connection is None:
            return self.held
        try:
            self._connection.execute(text("SELECT 1"))
            return True
        except Exception:  # noqa: BLE001 - a dead connection means the server has let the lock go
            self._forget_connection()
            return False

    def __enter__(self) -> bool:
        return self.try_acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()

    def _try_advisory(self) -> bool:
        connection = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        try:
            got = bool(connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": ADVISORY_KEY}).scalar())
        except Exception:
            connection.close()
            raise
        if not got:
            connection.close()
            return False
        self._connection = connection
        return True

    def _try_file(self, path: str) -> bool:
        handle = open(path, "a+")  # noqa: SIM115 - held open for as long as the lock is held
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            return False
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        self._file = handle
        return True

    def _forget_connection(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            try:
                connection.invalidate()
            except Exception as err:  # noqa: BLE001 - already gone; nothing to hand back to the pool
                log.info("sweep lock: the lost connection could not be invalidated: %s", err)
