"""DuckDB connections. Every query in the project runs on a connection passed in explicitly."""

from __future__ import annotations

import duckdb


def connect(path: str = ":memory:", *, threads: int | None = None, memory_limit: str | None = None):
    """A new DuckDB connection: in memory unless a path is given.

    The app opens one per browser session, the CLI one per run. Never share one between users.
    """
    config: dict[str, str | int] = {}
    if threads:
        config["threads"] = threads
    if memory_limit:
        config["memory_limit"] = memory_limit
    con = duckdb.connect(path, config=config)
    # Insertion order is not needed anywhere and costs memory on big loads.
    con.execute("SET preserve_insertion_order = false")
    return con
