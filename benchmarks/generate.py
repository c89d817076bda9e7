"""Realistic order files for benchmarks: `python -m benchmarks.generate --lines N --format F -o PATH`.

Customers buy as `retention.simulate.simulate_bgnbd` says (BG/NBD), over three years. Formats:
- `generic`: comma separated, English headers, ISO timestamps, one row per order line (~80 bytes);
- `italian`: `;` separated, Italian headers, `dd/mm/yyyy HH:MM` dates, decimal comma, postcodes
  with leading zeros;
- `shopify`: Shopify's orders export, order fields only on the first line of each order.
A small share of orders is cancelled, refunded or repeated (as in overlapping exports), so the
ingester's cleaning does real work. Everything is vectorised (numpy + Arrow); 10M lines take about
a minute.
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from retention.simulate import simulate_bgnbd

PRODUCTS = np.array(
    [
        "Tazza",
        "Teiera",
        "Cucchiaino",
        "Vaso",
        "Borsa",
        "Cintura",
        "Portafoglio",
        "Sciarpa",
        "Candela",
        "Quaderno",
        "Penna",
        "Zaino",
    ]
)
PRICES_CENTS = np.array([1200, 3900, 450, 5500, 8900, 2900, 3500, 2400, 1500, 800, 1200, 6900])
COUNTRIES = np.array(["IT", "IT", "IT", "DE", "FR", "ES", "AT", "CH"])
LINES_PER_ORDER_P = np.array([0.6, 0.25, 0.1, 0.05])  # 1, 2, 3, 4 lines


def _orders(n_lines: int, seed: int) -> dict[str, np.ndarray]:
    """Per line: order number, order timestamp (s), customer number, line number, product, qty, cancel/refund flags."""
    rng = np.random.default_rng(seed)
    mean_lines = float((np.arange(1, 5) * LINES_PER_ORDER_P).sum())
    n_customers = max(10, int(n_lines / mean_lines / 2.2) + 1)
    _cust, purchases = simulate_bgnbd(n_customers, "2022-01-01", "2024-12-31", seed=seed)
    order_cust = purchases["customer_no"].to_numpy()
    order_ts = purchases["purchase_ts"].to_numpy().astype("datetime64[s]").astype(np.int64)
    k = rng.choice(4, size=len(order_cust), p=LINES_PER_ORDER_P) + 1
    line_order = np.repeat(np.arange(len(order_cust)), k)
    while len(line_order) < n_lines:  # top up with more of the same orders if the simulation fell short
        line_order = np.concatenate([line_order, line_order[: n_lines - len(line_order)]])
    line_order = np.sort(line_order[:n_lines])
    starts = np.r_[True, line_order[1:] != line_order[:-1]]
    line_no = np.arange(n_lines) - np.maximum.accumulate(np.where(starts, np.arange(n_lines), 0))
    order_flag = rng.random(len(order_cust))
    product = rng.integers(0, len(PRODUCTS), n_lines)
    return {
        "order": line_order,
        "first": starts,
        "line_no": line_no,
        "ts": order_ts[line_order],
        "cust": order_cust[line_order],
        "product": product,
        "qty": rng.choice([1, 1, 1, 2, 3], n_lines),
        "cancelled": order_flag[line_order] < 0.02,
        "refunded": (order_flag[line_order] >= 0.02) & (order_flag[line_order] < 0.05),
        "zip": rng.integers(0, 99999, n_customers)[order_cust[line_order]],
        "country": COUNTRIES[rng.integers(0, len(COUNTRIES), n_customers)][order_cust[line_order]],
    }


def _money(cents: pa.Array, comma: bool) -> pa.Array:
    """'12.50' (or '12,50') from integer cents, with Arrow string kernels (no Python loop)."""
    units = pc.cast(pc.divide(cents, 100), pa.string())
    frac = pc.utf8_lpad(pc.cast(pc.subtract(cents, pc.multiply(pc.divide(cents, 100), 100)), pa.string()), 2, "0")
    return pc.binary_join_element_wise(units, frac, "," if comma else ".")


def _text(values: np.ndarray) -> pa.Array:
    return pa.array(values.astype(str))


def build_table(n_lines: int, fmt: str, seed: int = 0) -> pa.Table:
    d = _orders(n_lines, seed)
    ts = pa.array(d["ts"].astype("datetime64[s]"))
    order_no = pc.cast(pa.array(d["order"] + 100001), pa.string())
    cust = pc.cast(pa.array(d["cust"] + 1), pa.string())
    email = pc.binary_join_element_wise(pa.scalar("cliente"), cust, pa.scalar("@esempio.it"), "")
    qty = pa.array(d["qty"])
    unit = PRICES_CENTS[d["product"]]
    line_cents = pa.array(unit * d["qty"])
    zip_code = pc.utf8_lpad(pc.cast(pa.array(d["zip"]), pa.string()), 5, "0")
    status_en = np.where(d["cancelled"], "cancelled", np.where(d["refunded"], "refunded", "paid"))
    if fmt == "generic":
        return pa.table(
            {
                "order_id": order_no,
                "order_date": pc.strftime(ts, "%Y-%m-%dT%H:%M:%S"),
                "customer_id": cust,
                "email": email,
                "country": _text(d["country"]),
                "zip": zip_code,
                "product": _text(PRODUCTS[d["product"]]),
                "quantity": qty,
                "total": _money(line_cents, comma=False),
                "status": _text(status_en),
            }
        )
    if fmt == "italian":
        status_it = np.where(d["cancelled"], "annullato", np.where(d["refunded"], "rimborsato", "pagato"))
        return pa.table(
            {
                "Numero ordine": order_no,
                "Data ordine": pc.strftime(ts, "%d/%m/%Y %H:%M"),
                "Cliente": cust,
                "Email": email,
                "CAP": zip_code,
                "Prodotto": _text(PRODUCTS[d["product"]]),
                "Quantità": qty,
                "Totale": _money(line_cents, comma=True),
                "Stato": _text(status_it),
            }
        )
    if fmt == "shopify":
        first = d["first"]
        # order subtotal = sum of its lines; refunds give back a third of it
        order_ids = d["order"]
        sums = np.bincount(order_ids, weights=unit * d["qty"])[order_ids].astype(np.int64)
        refund = np.where(d["refunded"], sums // 3, 0)

        def on_first(values: pa.Array) -> pa.Array:
            return pc.if_else(pa.array(first), values, pa.scalar("", pa.string()))

        created = pc.strftime(ts, "%Y-%m-%d %H:%M:%S +0100")
        status = np.where(d["refunded"], "partially_refunded", np.where(d["cancelled"], "voided", "paid"))
        return pa.table(
            {
                "Name": pc.binary_join_element_wise(pa.scalar("#"), order_no, ""),
                "Email": on_first(email),
                "Financial Status": on_first(_text(status)),
                "Paid at": on_first(created),
                "Accepts Marketing": on_first(_text(np.where(d["cust"] % 3 == 0, "yes", "no"))),
                "Currency": on_first(pa.array(np.full(n_lines, "EUR"))),
                "Subtotal": on_first(_money(pa.array(sums), comma=False)),
                "Shipping": on_first(pa.array(np.full(n_lines, "4.90"))),
                "Taxes": on_first(_money(pa.array(sums * 22 // 122), comma=False)),
                "Total": on_first(_money(pa.array(sums + 490), comma=False)),
                "Created at": created,
                "Lineitem quantity": qty,
                "Lineitem name": _text(PRODUCTS[d["product"]]),
                "Lineitem price": _money(pa.array(unit), comma=False),
                "Lineitem sku": _text(np.char.add("SKU-", d["product"].astype(str))),
                "Billing Zip": on_first(zip_code),
                "Billing Country": on_first(_text(d["country"])),
                "Cancelled at": on_first(pc.if_else(pa.array(d["cancelled"]), created, pa.scalar("", pa.string()))),
                "Refunded Amount": on_first(_money(pa.array(refund), comma=False)),
                "Source": on_first(pa.array(np.full(n_lines, "web"))),
                "Lineitem discount": pa.array(np.full(n_lines, "0.00")),
            }
        )
    raise ValueError(f"unknown format {fmt!r}: use generic, italian or shopify")


def write_orders(path: str, n_lines: int, fmt: str, seed: int = 0) -> None:
    table = build_table(n_lines, fmt, seed)
    options = pacsv.WriteOptions(
        include_header=True, delimiter=";" if fmt == "italian" else ",", quoting_style="needed"
    )
    pacsv.write_csv(table, path, write_options=options)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--lines", type=int, required=True)
    p.add_argument("--format", choices=("generic", "italian", "shopify"), default="generic")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("-o", "--output", required=True)
    args = p.parse_args(argv)
    t = time.perf_counter()
    write_orders(args.output, args.lines, args.format, args.seed)
    print(
        f"wrote {args.lines:,} {args.format} lines to {args.output} in {time.perf_counter() - t:.1f} s", file=sys.stderr
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
