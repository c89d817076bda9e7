"""Copying whole tables between DuckDB connections as Arrow.

The app loads the bundled demo shop once per server process and hands every browser session its
own copy (one connection per session, so an upload in one session is never seen by another).
Arrow tables are immutable, so one snapshot can safely seed many connections.
"""

from __future__ import annotations

import pyarrow as pa

from retention.sql import quote_ident, table_exists


def snapshot_tables(con, names: list[str]) -> dict[str, pa.Table]:
    """The named tables of `con` that exist, each fully materialised as an Arrow table."""
    out: dict[str, pa.Table] = {}
    for name in names:
        if table_exists(con, name):
            out[name] = con.sql(f"SELECT * FROM {quote_ident(name)}").to_arrow_table()
    return out


def restore_tables(con, tables: dict[str, pa.Table]) -> None:
    """Create (or replace) one table in `con` per Arrow table, with the same columns and types."""
    for name, table in tables.items():
        view = f"__snapshot_{name}"
        con.register(view, table)
        try:
            con.execute(f"CREATE OR REPLACE TABLE {quote_ident(name)} AS SELECT * FROM {quote_ident(view)}")
        finally:
            con.unregister(view)


def read_table(con, name: str, *, limit: int | None = None):
    """The rows of one table as a pandas frame (the first `limit` rows when given), or None when
    the table does not exist."""
    if not table_exists(con, name):
        return None
    sql = f"SELECT * FROM {quote_ident(name)}"
    if limit is not None:
        return con.execute(sql + " LIMIT $n", {"n": int(limit)}).df()
    return con.execute(sql).df()
