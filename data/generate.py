"""Generate the demo shop: a Shopify orders export of an Italian online shop.

`python data/generate.py` rewrites `data/demo_orders.csv` (deterministic for a given seed).

The shop ("Bottega Aurora": coffee, tea, pantry and kitchen goods) sells mostly in Italy and a bit
across Europe. Customers follow the BG/NBD story (`retention.simulate`): each buys at their own
rate and may drop out after any purchase. Order values follow the Gamma-Gamma story (each customer
has their own mean basket). On top of that the export carries what real ones do: several line
items per order with order fields only on the first row, discount codes (a welcome code on first
orders, loyalty and Black Friday codes later), marketing consent, acquisition channels, refunds
(full and partial), cancelled orders, a few test orders, orders without any email or phone,
e-mails typed with different case or spaces, phones in several Italian formats, and postcodes
with leading zeros.
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

import numpy as np
import pandas as pd

from retention.simulate import BGNBDParams, simulate_bgnbd

START, END = "2023-11-01", "2026-10-31"
OUT = Path(__file__).with_name("demo_orders.csv")

COLUMNS = [
    "Name", "Email", "Financial Status", "Paid at", "Fulfillment Status", "Fulfilled at",
    "Accepts Marketing", "Currency", "Subtotal", "Shipping", "Taxes", "Total", "Discount Code",
    "Discount Amount", "Shipping Method", "Created at", "Lineitem quantity", "Lineitem name",
    "Lineitem price", "Lineitem compare at price", "Lineitem sku", "Lineitem requires shipping",
    "Lineitem taxable", "Lineitem fulfillment status", "Billing Name", "Billing Street",
    "Billing Address1", "Billing Address2", "Billing Company", "Billing City", "Billing Zip",
    "Billing Province", "Billing Country", "Billing Phone", "Shipping Name", "Shipping Street",
    "Shipping City", "Shipping Zip", "Shipping Country", "Notes", "Cancelled at", "Payment Method",
    "Refunded Amount", "Vendor", "Id", "Tags", "Source", "Lineitem discount", "Phone",
]

# (sku, name, price incl. VAT, category, weight in baskets, replenished)
PRODUCTS = [
    ("CAF-001", "Caffè in grani Miscela Oro 1 kg", 24.90, "Caffè", 14, True),
    ("CAF-002", "Caffè macinato Moka 250 g", 6.90, "Caffè", 12, True),
    ("CAF-003", "Capsule compatibili Intenso ×50", 14.50, "Caffè", 12, True),
    ("CAF-004", "Caffè decaffeinato 500 g", 12.90, "Caffè", 4, True),
    ("TEA-001", "Tè verde Sencha 100 g", 9.80, "Tè e tisane", 5, True),
    ("TEA-002", "Tisana “Buonanotte” 20 filtri", 5.50, "Tè e tisane", 5, True),
    ("DOL-001", "Cantuccini alle mandorle 300 g", 7.40, "Dolci", 8, False),
    ("DOL-002", "Crema spalmabile al pistacchio 200 g", 11.90, "Dolci", 7, False),
    ("DOL-003", "Panettone artigianale 1 kg", 29.00, "Dolci", 3, False),
    ("DIS-001", "Olio extravergine d’oliva 750 ml", 16.50, "Dispensa", 6, True),
    ("DIS-002", "Pasta di Gragnano IGP 6×500 g", 15.60, "Dispensa", 6, True),
    ("ACC-001", "Moka 3 tazze in acciaio", 34.90, "Accessori", 3, False),
    ("ACC-002", "Macinacaffè manuale", 59.00, "Accessori", 2, False),
    ("ACC-003", "Set 6 tazzine in porcellana", 27.50, "Accessori", 2, False),
]

FIRST = ["Giulia", "Marco", "Francesca", "Luca", "Chiara", "Alessandro", "Sara", "Matteo", "Elena",
         "Davide", "Martina", "Andrea", "Valentina", "Simone", "Federica", "Lorenzo", "Anna", "Paolo",
         "Silvia", "Giorgio", "Laura", "Niccolò", "Ilaria", "Stefano", "Roberta", "Emma", "Lukas",
         "Sophie", "Pierre", "Camille", "Javier", "Lucía", "Hannah", "Jonas", "Zoë", "D'Arcy"]
LAST = ["Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Colombo", "Ricci", "Marino",
        "Greco", "Bruno", "Gallo", "Conti", "De Luca", "Mancini", "Costa", "Giordano", "Rizzo",
        "Lombardi", "Moretti", "D'Angelo", "Fontana", "Caruso", "Müller", "Schmidt", "Dubois",
        "Lefèvre", "García", "Martínez", "Gruber", "Nicolò", "Ferri"]
DOMAINS = ["gmail.com", "libero.it", "hotmail.it", "yahoo.it", "outlook.com", "tiscali.it", "icloud.com"]

# country -> (weight, [(city, province, zip)], phone prefix style)
GEO = {
    "IT": (72, [("Roma", "RM", "00184"), ("Milano", "MI", "20121"), ("Napoli", "NA", "80133"),
                ("Torino", "TO", "10121"), ("Bologna", "BO", "40126"), ("Firenze", "FI", "50122"),
                ("Cagliari", "CA", "09124"), ("Aosta", "AO", "11100"), ("Bari", "BA", "70121"),
                ("Palermo", "PA", "90133"), ("Genova", "GE", "16121"), ("Ancona", "AN", "60121")]),
    "DE": (8, [("Berlin", "BE", "10115"), ("München", "BY", "80331"), ("Dresden", "SN", "01067")]),
    "FR": (7, [("Paris", "IDF", "75001"), ("Lyon", "ARA", "69001"), ("Nice", "PAC", "06000")]),
    "ES": (5, [("Madrid", "M", "28001"), ("Barcelona", "B", "08001")]),
    "AT": (4, [("Wien", "W", "1010"), ("Innsbruck", "T", "6020")]),
    "CH": (4, [("Lugano", "TI", "6900"), ("Zürich", "ZH", "8001")]),
}
SOURCES = [("web", 52), ("android", 12), ("iphone", 14), ("instagram", 14), ("pos", 8)]


def _pick(rng: np.random.Generator, items: list, weights: list[float], size: int) -> np.ndarray:
    w = np.asarray(weights, dtype=float)
    return rng.choice(len(items), size=size, p=w / w.sum())


def _italian_phone(rng: np.random.Generator) -> str:
    style = rng.integers(0, 5)
    mobile = f"3{rng.integers(20, 49)}{rng.integers(1000000, 9999999)}"
    if style == 0:
        return f"+39 {mobile[:3]} {mobile[3:]}"
    if style == 1:
        return f"{mobile[:3]} {mobile[3:]}"
    if style == 2:
        return f"0039{mobile}"
    if style == 3:
        return f"06 {rng.integers(1000, 9999)} {rng.integers(1000, 9999)}"  # Rome landline
    return f"+39{mobile}"


def _money(x: float) -> str:
    return f"{x:.2f}"


def build_rows(n_customers: int, seed: int) -> list[dict[str, str]]:
    rng = np.random.default_rng(seed)
    params = BGNBDParams(r=0.5, alpha=450.0, a=0.85, b=3.2)
    cust, purch = simulate_bgnbd(n_customers, START, END, params=params, acquisition_growth=1.2, seed=seed)

    # Customer attributes.
    countries = list(GEO)
    country_idx = _pick(rng, countries, [GEO[c][0] for c in countries], n_customers)
    source_idx = _pick(rng, SOURCES, [w for _, w in SOURCES], n_customers)
    consent = rng.random(n_customers) < 0.62
    # Gamma-Gamma spend: each customer has a mean basket size; baskets vary around it.
    basket_mean = rng.gamma(3.0, 1.0 / 1.6, n_customers) + 0.4
    people = []
    for i in range(n_customers):
        fn, ln = FIRST[rng.integers(len(FIRST))], LAST[rng.integers(len(LAST))]
        local = (fn + "." + ln).lower().replace(" ", "").replace("'", "")
        local = local.encode("ascii", "ignore").decode() or "cliente"
        email = f"{local}{rng.integers(1, 999)}@{DOMAINS[rng.integers(len(DOMAINS))]}"
        country = countries[country_idx[i]]
        city, prov, zipc = GEO[country][1][rng.integers(len(GEO[country][1]))]
        phone = _italian_phone(rng) if country == "IT" else ""
        people.append((fn, ln, email, country, city, prov, zipc, phone))

    weights = np.array([p[4] for p in PRODUCTS], dtype=float)
    replenish = np.array([p[5] for p in PRODUCTS])
    purch = purch.sort_values("purchase_ts", kind="stable").reset_index(drop=True)
    rome = purch["purchase_ts"].dt.tz_localize("Europe/Rome", nonexistent="shift_forward", ambiguous=False)

    rows: list[dict[str, str]] = []
    order_no = 1000
    for k, rec in enumerate(purch.itertuples(index=False)):
        c = rec.customer_no
        fn, ln, email, country, city, prov, zipc, phone = people[c]
        order_no += 1
        created = rome.iloc[k]
        # Basket: more items for big-basket customers; repeat orders lean on replenished goods.
        n_items = 1 + min(rng.poisson(0.6 * (basket_mean[c] - 0.4)), 5)
        w = weights * np.where(replenish, 1.6 if rec.purchase_no > 1 else 1.0, 1.0)
        items = rng.choice(len(PRODUCTS), size=n_items, replace=False, p=w / w.sum()) if n_items <= len(
            PRODUCTS) else np.arange(len(PRODUCTS))
        qty = 1 + rng.poisson(0.35 * basket_mean[c], size=len(items))
        subtotal_gross = float(sum(PRODUCTS[j][2] * q for j, q in zip(items, qty, strict=True)))

        code, disc = "", 0.0
        if rec.purchase_no == 1 and SOURCES[source_idx[c]][0] in ("web", "instagram") and rng.random() < 0.35:
            code, disc = "WELCOME10", round(0.10 * subtotal_gross, 2)
        elif created.month == 11 and 20 <= created.day <= 30 and rng.random() < 0.5:
            code, disc = "BLACKFRIDAY20", round(0.20 * subtotal_gross, 2)
        elif rec.purchase_no >= 3 and rng.random() < 0.15:
            code, disc = "FEDELTA15", round(0.15 * subtotal_gross, 2)
        subtotal = round(subtotal_gross - disc, 2)
        shipping = 0.0 if subtotal >= 49 or SOURCES[source_idx[c]][0] == "pos" else 4.90
        total = round(subtotal + shipping, 2)
        taxes = round(total - total / 1.22, 2) if country == "IT" else round(total - total / 1.2, 2)

        status, cancelled_at, refunded = "paid", "", 0.0
        u = rng.random()
        if u < 0.015:
            status, cancelled_at = "voided", (created + pd.Timedelta(hours=3)).strftime("%Y-%m-%d %H:%M:%S %z")
        elif u < 0.035:
            status, refunded = "refunded", total
        elif u < 0.055:
            status, refunded = "partially_refunded", round(float(PRODUCTS[items[0]][2]), 2)
        elif u < 0.06:
            status = "pending"
        # The store's customer service types e-mails as they hear them: case and spaces vary.
        shown_email = email
        if rng.random() < 0.03:
            shown_email = " " + email.capitalize() + " "
        src = SOURCES[source_idx[c]][0]
        ident_lost = rng.random() < 0.004  # a POS sale keyed without any contact
        row_email = "" if ident_lost else shown_email
        row_phone = phone if (src == "pos" or rng.random() < 0.6) and not ident_lost else ""
        if src == "pos" and not ident_lost and rng.random() < 0.5:
            row_email = ""  # POS customers often give only a phone
            row_phone = row_phone or _italian_phone(rng)
            people[c] = (fn, ln, email, country, city, prov, zipc, row_phone)
        name = f"#{order_no}"
        created_s = created.strftime("%Y-%m-%d %H:%M:%S %z")
        for n, (j, q) in enumerate(zip(items, qty, strict=True)):
            sku, pname, price, _cat, _w, _r = PRODUCTS[j]
            line_disc = round(disc * price * q / subtotal_gross, 2) if disc else 0.0
            row = {col: "" for col in COLUMNS}
            row.update({
                "Name": name, "Email": row_email, "Created at": created_s,
                "Lineitem quantity": str(q), "Lineitem name": pname, "Lineitem price": _money(price),
                "Lineitem sku": sku, "Lineitem requires shipping": "true", "Lineitem taxable": "true",
                "Lineitem fulfillment status": "fulfilled" if status == "paid" else "pending",
                "Vendor": "Bottega Aurora", "Lineitem discount": _money(line_disc),
            })
            if n == 0:
                paid_at = "" if status in ("pending", "voided") else created_s
                row.update({
                    "Financial Status": status, "Paid at": paid_at,
                    "Fulfillment Status": "fulfilled" if status == "paid" else "unfulfilled",
                    "Accepts Marketing": "yes" if consent[c] else "no", "Currency": "EUR",
                    "Subtotal": _money(subtotal), "Shipping": _money(shipping), "Taxes": _money(taxes),
                    "Total": _money(total), "Discount Code": code, "Discount Amount": _money(disc),
                    "Shipping Method": "Ritiro in negozio" if src == "pos" else "Corriere espresso",
                    "Billing Name": f"{fn} {ln}", "Billing Street": f"Via Roma {rng.integers(1, 200)}",
                    "Billing Address1": f"Via Roma {rng.integers(1, 200)}", "Billing City": city,
                    "Billing Zip": zipc, "Billing Province": prov, "Billing Country": country,
                    "Billing Phone": row_phone, "Shipping Name": f"{fn} {ln}", "Shipping City": city,
                    "Shipping Zip": zipc, "Shipping Country": country, "Cancelled at": cancelled_at,
                    "Payment Method": "Shopify Payments" if src != "pos" else "Contanti",
                    "Refunded Amount": _money(refunded), "Id": str(5_000_000_000 + order_no),
                    "Source": src, "Phone": row_phone,
                })
            rows.append(row)

    # A few test orders (Shopify's Bogus Gateway), as stores have when they set up checkout.
    for t in range(3):
        order_no += 1
        ts = pd.Timestamp("2023-11-02 10:00:00", tz="Europe/Rome") + pd.Timedelta(hours=t)
        row = {col: "" for col in COLUMNS}
        row.update({
            "Name": f"#{order_no}", "Email": "test@bottega-aurora.it", "Financial Status": "paid",
            "Created at": ts.strftime("%Y-%m-%d %H:%M:%S %z"), "Lineitem quantity": "1",
            "Lineitem name": PRODUCTS[0][1], "Lineitem price": _money(PRODUCTS[0][2]), "Lineitem sku": "CAF-001",
            "Currency": "EUR", "Subtotal": _money(PRODUCTS[0][2]), "Shipping": "0.00", "Total": _money(PRODUCTS[0][2]),
            "Payment Method": "Bogus", "Tags": "test", "Source": "web", "Billing Country": "IT",
            "Accepts Marketing": "no", "Lineitem discount": "0.00", "Refunded Amount": "0.00",
        })
        rows.append(row)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=4500)
    parser.add_argument("--seed", type=int, default=20231101)
    parser.add_argument("-o", "--output", type=Path, default=OUT)
    args = parser.parse_args()
    rows = build_rows(args.customers, args.seed)
    with args.output.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    print(f"wrote {len(rows)} rows to {args.output}")


if __name__ == "__main__":
    main()
