"""The sweep result store: one SQLite file, one row per parameter point.

Rows are keyed by a SHA-256 hash of the engine, the full parameter set and the solver
settings, and written as each point finishes (each in its own transaction), so a sweep killed
at any moment loses nothing that was stored and never recomputes it.  The file runs in WAL mode
with a busy timeout, so two sweeps may write to it at once; a key is written once (the first
writer wins).  A file that is not a mwent store, or is damaged, is reported and left untouched.
"""
from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import time

FORMAT = "mwent-store-1"
_HEADER = b"SQLite format 3\x00"


class StoreError(RuntimeError):
    """The store cannot be used (unreadable, corrupt, or not a mwent store)."""


def point_key(engine: str, params: dict, settings: dict) -> str:
    """SHA-256 of the canonical JSON of engine, parameters and settings."""
    doc = json.dumps({"engine": engine, "params": params, "settings": settings},
                     sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(doc.encode()).hexdigest()


class Store:
    """A mwent result store at ``path`` (created if absent)."""

    def __init__(self, path: str):
        self.path = str(path)
        exists = os.path.exists(self.path) and os.path.getsize(self.path) > 0
        if exists:
            try:
                with open(self.path, "rb") as f:
                    head = f.read(16)
            except OSError as exc:
                raise StoreError(f"the store {self.path} cannot be read ({exc.strerror})")
            if head != _HEADER:
                raise StoreError(f"{self.path} is not a mwent result store (not an SQLite "
                                 f"file); it was left untouched")
        else:
            parent = os.path.dirname(os.path.abspath(self.path))
            os.makedirs(parent, exist_ok=True)
        try:
            self.conn = sqlite3.connect(self.path, timeout=60.0, isolation_level=None)
            if exists:
                ok = self.conn.execute("PRAGMA quick_check").fetchone()[0]
                if ok != "ok":
                    raise StoreError(f"the store {self.path} is damaged ({ok}); it was left "
                                     f"untouched")
                tables = {r[0] for r in self.conn.execute(
                    "SELECT name FROM sqlite_master WHERE type='table'")}
                fmt = None
                if "meta" in tables:
                    row = self.conn.execute("SELECT value FROM meta WHERE key='format'").fetchone()
                    fmt = row[0] if row else None
                if fmt != FORMAT:
                    raise StoreError(f"{self.path} is an SQLite file but not a mwent result "
                                     f"store; it was left untouched")
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA synchronous=NORMAL")
            self.conn.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
            self.conn.execute("INSERT OR IGNORE INTO meta VALUES ('format', ?)", (FORMAT,))
            self.conn.execute(
                "CREATE TABLE IF NOT EXISTS points (key TEXT PRIMARY KEY, engine TEXT, "
                "params TEXT, settings TEXT, status TEXT, result TEXT, error TEXT, "
                "seconds REAL, finished TEXT)")
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"the store {self.path} is not usable ({exc}); it was left "
                             f"untouched") from None

    def get_many(self, keys) -> dict:
        """``{key: row dict}`` for the keys already stored."""
        out = {}
        keys = list(keys)
        for i in range(0, len(keys), 500):
            chunk = keys[i:i + 500]
            q = ",".join("?" * len(chunk))
            for row in self.conn.execute(
                    f"SELECT key, status, result, error, seconds, finished FROM points "
                    f"WHERE key IN ({q})", chunk):
                out[row[0]] = {"status": row[1], "result": json.loads(row[2]) if row[2] else None,
                               "error": row[3], "seconds": row[4], "finished": row[5]}
        return out

    def put(self, rows) -> None:
        """Insert ``(key, engine, params, settings, status, result, error, seconds)`` tuples in
        one transaction; keys already present are kept as they are."""
        now = time.strftime("%Y-%m-%dT%H:%M:%S")
        data = [(k, e, json.dumps(p, sort_keys=True), json.dumps(s, sort_keys=True), st,
                 json.dumps(r) if r is not None else None, err, sec, now)
                for k, e, p, s, st, r, err, sec in rows]
        try:
            self.conn.execute("BEGIN IMMEDIATE")
            self.conn.executemany("INSERT OR IGNORE INTO points VALUES (?,?,?,?,?,?,?,?,?)", data)
            self.conn.execute("COMMIT")
        except sqlite3.DatabaseError as exc:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise StoreError(f"cannot write to the store {self.path} ({exc})") from None

    def count(self) -> int:
        return self.conn.execute("SELECT COUNT(*) FROM points").fetchone()[0]

    def close(self):
        self.conn.close()
