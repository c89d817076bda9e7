"""Every SQL statement of the project lives in this package, one module per area.

Rules (see DESIGN.md and FIELD-NOTES.md):
- every function takes the DuckDB connection as an argument; never the module default connection;
- values are bound (`$name` or `?`), never pasted into SQL text; identifiers go through
  `quote_ident`;
- the portable subset: no list functions, `date_diff('day', CAST(a AS DATE), CAST(b AS DATE))`,
  months as `(year(b) - year(a)) * 12 + month(b) - month(a)`, `CAST(date_trunc(...) AS DATE)`,
  money summed as DECIMAL, `x / NULLIF(y, 0)`, `CAST(sum(int) AS BIGINT)`, deterministic windows
  (a unique tie-breaker in every ORDER BY of a ranking).
- results are materialised before the next statement runs (DuckDB 2.0 streams results).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd


def quote_ident(name: str) -> str:
    """Quote an identifier for DuckDB: double quotes, inner quotes doubled."""
    return '"' + str(name).replace('"', '""') + '"'


def fetch_df(con, sql: str, params: Mapping[str, Any] | list | None = None) -> pd.DataFrame:
    """Run one statement and return its whole result as a pandas frame."""
    return con.execute(sql, params or {}).df() if params else con.execute(sql).df()


def fetch_all(con, sql: str, params: Mapping[str, Any] | list | None = None) -> list[tuple]:
    return con.execute(sql, params).fetchall() if params else con.execute(sql).fetchall()


def fetch_one(con, sql: str, params: Mapping[str, Any] | list | None = None) -> tuple | None:
    rows = fetch_all(con, sql, params)
    return rows[0] if rows else None


def table_exists(con, name: str) -> bool:
    row = fetch_one(
        con,
        "SELECT count(*) FROM information_schema.tables WHERE table_name = $name",
        {"name": name},
    )
    return bool(row and row[0])
