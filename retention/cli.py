"""`retention ...`: the library without a browser.

Every command reads one or more order files (merged and deduplicated into one `orders` table) and
prints JSON or CSV on standard output. Input it cannot use: exit status 2 and one line on standard
error that says what is wrong and how to fix it; never a traceback.

Each command is a small function `_cmd_<name>(args)` returning the text to print; the library does
the work. Options named in the issues are a contract: add freely, never rename.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from datetime import date
from typing import Any

from retention.errors import UserInputError

PERIODS = ("day", "week", "month", "quarter", "year")


def _json_default(value: Any) -> Any:
    import decimal

    import numpy as np
    import pandas as pd

    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, (date, pd.Timestamp)):
        return value.isoformat()
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return None if np.isnan(value) else float(value)
    if isinstance(value, np.bool_):
        return bool(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def dumps(obj: Any) -> str:
    return json.dumps(obj, indent=2, ensure_ascii=False, default=_json_default, allow_nan=False)


def _parse_map(items: Sequence[str] | None) -> dict[str, str]:
    mapping: dict[str, str] = {}
    for item in items or []:
        field, sep, column = item.partition("=")
        if not sep or not field.strip():
            raise UserInputError(f"--map takes FIELD=COLUMN (for example --map order_date=Data), not {item!r}")
        mapping[field.strip()] = column.strip()
    return mapping


def _parse_date(text: str | None, option: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise UserInputError(f"{option} takes a date as YYYY-MM-DD, not {text!r}") from None


def _load(
    args: argparse.Namespace, *, count_ids: bool = True, fields: Sequence[str] | None = None, need_rows: bool = True
):
    """Open a connection and ingest the files of the command into its `orders` table
    (`fields`, `count_ids`: see `load_orders`). `need_rows`: stop (exit 2) when no row was kept."""
    from retention.db import connect
    from retention.ingest import load_orders, require_rows_kept

    con = connect()
    report = load_orders(
        con,
        args.files,
        mapping=_parse_map(args.map),
        rejected_path=getattr(args, "rejected", None),
        count_ids=count_ids,
        fields=fields,
    )
    if need_rows:
        require_rows_kept(report.to_dict())
    return con, report


def _cmd_quality(args: argparse.Namespace) -> str:
    _con, report = _load(args, need_rows=False)  # the ledger says why nothing was kept
    return dumps(report.to_dict())


def _cmd_kpis(args: argparse.Namespace) -> str:
    from retention.kpis import compute_kpis, read_marketing_spend, what_if

    con, _report = _load(args)
    as_of = _parse_date(args.as_of, "--as-of")
    spend = read_marketing_spend(args.marketing_spend) if args.marketing_spend else None
    result = compute_kpis(con, period=args.period, cac=args.cac, marketing_spend=spend, clv=args.clv, as_of=as_of)
    if args.what_if_points is not None:
        result["what_if"] = what_if(
            con, repeat_rate_points=args.what_if_points, retention_rate_points=args.what_if_points, as_of=as_of
        )
    return dumps(result)


def _cmd_cohorts(args: argparse.Namespace) -> str:
    from retention.cohorts import cohort_table

    con, _report = _load(args)
    table = cohort_table(
        con, period=args.period, mode=args.mode, as_of=_parse_date(args.as_of, "--as-of"), split_by=args.split_by
    )
    return table.to_csv(index=False)


def _cmd_fit(args: argparse.Namespace) -> str:
    from retention.clv import fit_report

    con, _report = _load(args)
    result = fit_report(
        con,
        time_unit=args.time_unit,
        calibration_end=_parse_date(args.calibration_end, "--calibration-end"),
        model=args.model,
    )
    return dumps(result)


def _cmd_customers(args: argparse.Namespace) -> str:
    # DuckDB writes the CSV (pandas' to_csv took 37 s for 1.8M customers); streamed to stdout.
    import shutil
    import tempfile

    import pandas as pd

    from retention.sql.clv import write_customer_values_csv, write_frame_csv

    segments = args.segments or args.churn_window_days is not None
    # The report is not printed here: its distinct order and customer counts are skipped (1.4 s at 10M
    # lines). The value table needs four fields of the order lines: only those are stored (1.6 s).
    con, _report = _load(args, count_ids=False, fields=None if segments else ())
    options = {
        "horizon_months": args.horizon_months,
        "margin": args.margin,
        "annual_discount_rate": args.annual_discount_rate,
    }
    if segments:
        # The whole table of the app: contacts, RFM, lifecycle and churn (a classifier on three cut-offs).
        from retention.customers import customer_table

        table = customer_table(con, churn_window_days=args.churn_window_days, **options)
    else:
        # Value only (summary, fit, scores): what millions of customers can afford in seconds.
        from retention.clv import customer_summary_rows, customer_values
        from retention.sql.clv import drop_loaded_orders

        rows = customer_summary_rows(con)
        drop_loaded_orders(con)  # the order lines are done with: their memory goes to the fit and the CSV
        table = customer_values(rows, **options)
        del rows
    with tempfile.TemporaryDirectory() as tmp:
        path = f"{tmp}/customers.csv"
        if isinstance(table, pd.DataFrame):
            write_frame_csv(con, table, path, date_columns=("first_order", "last_order"))
        else:
            write_customer_values_csv(con, table, path)
        del table
        sys.stdout.flush()
        try:
            with open(path, "rb") as src:
                shutil.copyfileobj(src, sys.stdout.buffer, 1 << 20)
            sys.stdout.buffer.flush()
        except BrokenPipeError:
            # The reader stopped early (`| head`): nothing wrong with the input. Point stdout at
            # /dev/null so the flush at exit does not raise again (Python's documented recipe).
            import os

            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return ""


def _cmd_segments(args: argparse.Namespace) -> str:
    from retention.customers import customer_table
    from retention.segments import segment_summary

    con, _report = _load(args)
    customers = customer_table(con, churn_window_days=args.churn_window_days)
    return segment_summary(customers, by=args.by, language=args.language).to_csv(index=False)


def _cmd_export(args: argparse.Namespace) -> str:
    from retention.audiences import export_audience

    con, _report = _load(args)
    summary = export_audience(
        con,
        segment=args.segment,
        by=args.by,
        fmt=args.format,
        output=args.output,
        holdout=args.holdout,
        seed=args.seed,
        include_no_consent=args.include_no_consent,
    )
    return summary


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="retention",
        description="Retention analytics for online shops, from order exports (CSV, TSV, .gz, .xlsx).",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, help_text: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.add_argument("files", nargs="+", metavar="FILE", help="order exports; several are merged and deduplicated")
        p.add_argument(
            "--map",
            action="append",
            metavar="FIELD=COLUMN",
            help="map a canonical field to a column of the file (repeatable); for headerless files COLUMN is "
            "its 1-based position",
        )
        return p

    p = command("quality", "Read the files and print the data-quality ledger as JSON.")
    p.add_argument("--rejected", metavar="PATH", help="write the rejected rows, with their reason, to this CSV")
    p.set_defaults(func=_cmd_quality)

    p = command("kpis", "Print the retention KPIs with their benchmark verdicts as JSON.")
    p.add_argument("--period", choices=PERIODS, default="month", help="period of the retention rate (default month)")
    p.add_argument("--cac", type=float, metavar="AMOUNT", help="customer acquisition cost, for CLV:CAC")
    p.add_argument("--as-of", metavar="DATE", help="end of observation (default: the last order date)")
    p.add_argument("--marketing-spend", metavar="CSV", help="CSV of month,spend: a CAC per acquisition month")
    p.add_argument("--clv", type=float, metavar="AMOUNT", help="predicted CLV per customer to use in CLV:CAC")
    p.add_argument(
        "--what-if-points", type=float, metavar="N", help="add a what-if: repeat and retention rate N points higher"
    )
    p.set_defaults(func=_cmd_kpis)

    p = command("cohorts", "Print the acquisition-cohort table as CSV, one row per (cohort, period).")
    p.add_argument("--period", choices=PERIODS[1:], default="month", help="cohort period (default month)")
    p.add_argument("--mode", choices=("on", "on_or_after"), default="on", help="active in the period, or then or later")
    p.add_argument("--as-of", metavar="DATE", help="end of observation (default: the last order date)")
    p.add_argument(
        "--split-by",
        choices=("channel", "country", "discount_code", "product", "category"),
        help="split the cohorts by an attribute of the first order (adds a segment column)",
    )
    p.set_defaults(func=_cmd_cohorts)

    p = command("fit", "Fit the purchase (BG/NBD) and spend (Gamma-Gamma) models and print them as JSON.")
    p.add_argument("--time-unit", choices=("day", "week"), default="day", help="time unit of the reported parameters")
    p.add_argument("--calibration-end", metavar="DATE", help="fit on orders up to DATE and backtest on the rest")
    p.add_argument("--model", choices=("bgnbd", "mbgnbd"), default="bgnbd", help="purchase model (default bgnbd)")
    p.set_defaults(func=_cmd_fit)

    p = command("customers", "Print one row per customer with history and predicted value (and segments) as CSV.")
    p.add_argument("--horizon-months", type=int, default=12, help="horizon of the predicted CLV (default 12)")
    p.add_argument("--margin", type=float, default=1.0, help="gross margin applied to revenue (default 1.0)")
    p.add_argument("--annual-discount-rate", type=float, default=0.1, help="annual discount rate (default 0.1)")
    p.add_argument(
        "--segments",
        action="store_true",
        help="add contact fields, RFM scores, lifecycle segment and churn risk (slower: a classifier is trained)",
    )
    p.add_argument(
        "--churn-window-days",
        type=int,
        help="churn = no order in the next N days (default: from the data); implies --segments",
    )
    p.set_defaults(func=_cmd_customers)

    p = command("segments", "Print one row per segment with its size, value and recommended action as CSV.")
    p.add_argument("--by", choices=("rfm", "lifecycle", "churn_risk"), default="rfm")
    p.add_argument("--churn-window-days", type=int)
    p.add_argument("--language", choices=("en", "it"), default="en", help="language of the recommended actions")
    p.set_defaults(func=_cmd_segments)

    p = command("export", "Write the audience file of a segment for an email tool or ad platform.")
    p.add_argument("--segment", required=True, metavar="NAME", help="segment name, or 'all' for every customer")
    p.add_argument("--by", choices=("rfm", "lifecycle", "churn_risk"), default="lifecycle")
    p.add_argument(
        "--format",
        choices=("csv", "xlsx", "klaviyo", "mailchimp", "brevo", "meta", "google", "tiktok", "zip"),
        default="csv",
    )
    p.add_argument("--holdout", type=float, default=0.0, help="share kept out as a control group (for example 0.1)")
    p.add_argument("--seed", type=int, default=0, help="seed of the holdout draw")
    p.add_argument("--include-no-consent", action="store_true", help="also customers without marketing consent")
    p.add_argument("-o", "--output", required=True, metavar="PATH")
    p.set_defaults(func=_cmd_export)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        out = args.func(args)
    except UserInputError as exc:
        print(f"retention: {exc}", file=sys.stderr)
        return 2
    except (FileNotFoundError, IsADirectoryError, PermissionError) as exc:
        print(f"retention: cannot read {exc.filename}: {exc.strerror}. Check the path and try again.", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    if out:
        sys.stdout.write(out if out.endswith("\n") else out + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
