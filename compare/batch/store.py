"""The sweep result store: one SQLite file, one row per parameter point (or per block).

Rows of the master-equation engines (``qmodel``, ``compare``) are keyed by a SHA-256 hash of the
result version, the engine, the full parameter set and the solver settings, and written as each
point finishes (each in its own transaction), so a sweep killed at any moment loses nothing
that was stored and never recomputes it.  The linearized engine solves thousands of points a
second, so it stores a *block* of grid points per row (the grid's arrays as bytes), keyed by a
hash of the whole grid (:func:`block_key`) and the block's range: a killed linearized sweep
resumes at the first block not stored.

The file runs in WAL mode with a busy timeout, so two sweeps may write to it at once; a key is
written once (the first writer wins), except that a row stored as failed is replaced when its
point is computed again (``--retry-failed``).  A file that is not a mwent store, or is damaged,
or was written by an older store format, is refused and left untouched.

Versions.  ``FORMAT`` names the file's schema; ``RESULT_VERSION`` is part of every key.  Bump
``RESULT_VERSION`` whenever a change alters results (a fixed bug, a new default): rows written
under another version then never match a key again, so they are recomputed, never reused, and
:attr:`Store.note` says so.  Version 2 fixed linearized sweeps that ignored ``K``; stores of
format ``mwent-store-1`` (written before it) are refused with a message saying what to do.
"""
from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import time

import numpy as np

FORMAT = "mwent-store-2"
#: formats written by older mwent versions, refused with a message of what to do
OLD_FORMATS = ("mwent-store-1",)
#: version of the results: part of every key; bump it whenever a change alters results
RESULT_VERSION = 4
_HEADER = b"SQLite format 3\x00"


class StoreError(RuntimeError):
    """The store cannot be used (unreadable, corrupt, or not a mwent store)."""


def point_key(engine: str, params: dict, settings: dict) -> str:
    """SHA-256 of the canonical JSON of result version, engine, parameters and settings."""
    doc = json.dumps({"version": RESULT_VERSION, "engine": engine, "params": params,
                      "settings": settings}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(doc.encode()).hexdigest()


def grid_key(engine: str, base: dict, axes, settings: dict, version="current") -> str:
    """SHA-256 of a whole grid: result version, engine, base parameters, settings, and each
    axis's key and exact values (as float64 bytes).  ``version=None`` leaves the version out
    (the identity of a sweep, the same for every code version)."""
    doc = {"engine": engine, "base": base, "settings": settings, "axes": [a.key for a in axes]}
    if version == "current":
        version = RESULT_VERSION
    if version is not None:
        doc["version"] = version
    h = hashlib.sha256(json.dumps(doc, sort_keys=True, separators=(",", ":")).encode())
    for a in axes:
        h.update(np.ascontiguousarray(a.values, dtype="<f8").tobytes())
    return h.hexdigest()


def block_key(grid: str, start: int, stop: int) -> str:
    """Key of the block of flat grid indices ``start:stop`` of the grid ``grid``."""
    return hashlib.sha256(f"{grid}:{start}:{stop}".encode()).hexdigest()


class Store:
    """A mwent result store at ``path`` (created if absent).

    ``note`` is a sentence for the user when the store holds rows of an older
    ``RESULT_VERSION`` (they are kept but never reused), else ``None``.
    """

    def __init__(self, path: str):
        self.path = str(path)
        self.note = None
        exists = os.path.exists(self.path) and os.path.getsize(self.path) > 0
        if exists:
            try:
                with open(self.path, "rb") as f:
                    head = f.read(16)
            except OSError as exc:
                raise StoreError(f"the store {self.path} cannot be read "
                                 f"({exc.strerror or exc})") from None
            if head != _HEADER:
                raise StoreError(f"{self.path} is not a mwent result store (not an SQLite "
                                 f"file); it was left untouched")
        else:
            parent = os.path.dirname(os.path.abspath(self.path))
            os.makedirs(parent, exist_ok=True)
        self.conn = None
        try:
            self.conn = sqlite3.connect(self.path, timeout=60.0, isolation_level=None)
            if exists:
                self._check_existing()
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA synchronous=NORMAL")
            self.conn.execute("BEGIN IMMEDIATE")
            self.conn.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
            self.conn.execute("INSERT OR IGNORE INTO meta VALUES ('format', ?)", (FORMAT,))
            self.conn.execute(
                "CREATE TABLE IF NOT EXISTS points (key TEXT PRIMARY KEY, engine TEXT, "
                "params TEXT, settings TEXT, status TEXT, result TEXT, error TEXT, "
                "seconds REAL, finished TEXT)")
            self.conn.execute(
                "CREATE TABLE IF NOT EXISTS blocks (key TEXT PRIMARY KEY, grid TEXT, "
                "start INTEGER, stop INTEGER, status BLOB, data BLOB, errors TEXT, "
                "failed INTEGER, seconds REAL, finished TEXT)")
            row = self.conn.execute("SELECT value FROM meta WHERE key='result_version'").fetchone()
            if row is not None and row[0] != str(RESULT_VERSION):
                self.note = (f"the store {self.path} holds results of an older version "
                             f"({row[0]}, now {RESULT_VERSION}); they are not reused, so "
                             f"these points are computed again")
            self.conn.execute("INSERT OR REPLACE INTO meta VALUES ('result_version', ?)",
                              (str(RESULT_VERSION),))
            self.conn.execute("COMMIT")
        except StoreError:
            self.close()
            raise
        except sqlite3.DatabaseError as exc:
            self.close()
            raise StoreError(f"the store {self.path} is not usable ({exc}); it was left "
                             f"untouched") from None

    def _check_existing(self) -> None:
        ok = self.conn.execute("PRAGMA quick_check").fetchone()[0]
        if ok != "ok":
            raise StoreError(f"the store {self.path} is damaged ({ok}); it was left untouched")
        tables = {r[0] for r in self.conn.execute(
            "SELECT name FROM sqlite_master WHERE type='table'")}
        fmt = None
        if "meta" in tables:
            row = self.conn.execute("SELECT value FROM meta WHERE key='format'").fetchone()
            fmt = row[0] if row else None
        if fmt in OLD_FORMATS:
            raise StoreError(f"{self.path} was written by an older mwent (store format {fmt}) "
                             f"whose results may be wrong (its linearized sweeps ignored K), "
                             f"so it is not reused; delete it or choose another --out or "
                             f"--store to compute the sweep again")
        if fmt != FORMAT or "points" not in tables:
            raise StoreError(f"{self.path} is an SQLite file but not a mwent result "
                             f"store; it was left untouched")

    # -- one row per point (master-equation engines) ------------------------------------------
    def _select(self, columns: str, table: str, keys):
        """Rows ``(key, *columns)`` of ``table`` for the given keys (SQLite limits how many
        parameters one query takes, so in chunks)."""
        keys = list(keys)
        try:
            for i in range(0, len(keys), 500):
                chunk = keys[i:i + 500]
                q = ",".join("?" * len(chunk))
                yield from self.conn.execute(
                    f"SELECT key, {columns} FROM {table} WHERE key IN ({q})", chunk)
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"cannot read the store {self.path} ({exc})") from None

    def get_many(self, keys) -> dict:
        """``{key: row dict}`` for the keys already stored."""
        return {k: {"status": st, "result": json.loads(r) if r else None, "error": err,
                    "seconds": sec, "finished": fin}
                for k, st, r, err, sec, fin in self._select(
                    "status, result, error, seconds, finished", "points", keys)}

    def put(self, rows) -> None:
        """Insert ``(key, engine, params, settings, status, result, error, seconds)`` tuples in
        one transaction.  A key already present is kept as it is (the first writer wins),
        unless it is stored as failed: then the new row replaces it."""
        now = time.strftime("%Y-%m-%dT%H:%M:%S")
        data = [(k, e, json.dumps(p, sort_keys=True), json.dumps(s, sort_keys=True), st,
                 json.dumps(r) if r is not None else None, err, sec, now)
                for k, e, p, s, st, r, err, sec in rows]
        self._write(
            "INSERT INTO points VALUES (?,?,?,?,?,?,?,?,?) ON CONFLICT(key) DO UPDATE SET "
            "engine=excluded.engine, params=excluded.params, settings=excluded.settings, "
            "status=excluded.status, result=excluded.result, error=excluded.error, "
            "seconds=excluded.seconds, finished=excluded.finished "
            "WHERE points.status = 'failed'", data)

    # -- blocks of grid points (linearized engine) --------------------------------------------
    def get_blocks(self, keys) -> dict:
        """``{key: (status bytes, data bytes, errors dict, seconds, finished)}`` for the block
        keys already stored."""
        return {k: (st, data, json.loads(err) if err else {}, sec, fin)
                for k, st, data, err, sec, fin in self._select(
                    "status, data, errors, seconds, finished", "blocks", keys)}

    def put_blocks(self, rows) -> None:
        """Insert ``(key, grid, start, stop, status bytes, data bytes, errors dict, failed,
        seconds)`` tuples in one transaction; as :meth:`put`, a stored block is replaced only
        if it holds failed points."""
        now = time.strftime("%Y-%m-%dT%H:%M:%S")
        data = [(k, g, a, b, st, d, json.dumps(err) if err else None, int(f), sec, now)
                for k, g, a, b, st, d, err, f, sec in rows]
        self._write(
            "INSERT INTO blocks VALUES (?,?,?,?,?,?,?,?,?,?) ON CONFLICT(key) DO UPDATE SET "
            "status=excluded.status, data=excluded.data, errors=excluded.errors, "
            "failed=excluded.failed, seconds=excluded.seconds, finished=excluded.finished "
            "WHERE blocks.failed > 0", data)

    def _write(self, sql, data) -> None:
        try:
            self.conn.execute("BEGIN IMMEDIATE")
            self.conn.executemany(sql, data)
            self.conn.execute("COMMIT")
        except sqlite3.DatabaseError as exc:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise StoreError(f"cannot write to the store {self.path} ({exc})") from None

    def count(self) -> int:
        return self.conn.execute("SELECT COUNT(*) FROM points").fetchone()[0]

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None
