"""Which source column feeds which field: from a known format, else guessed from names and values.

A mapping is `{field: source column name}`. Fields are the canonical ones of `retention.schema` plus
the helper fields of `formats.HELPER_FIELDS`. Every guess carries a confidence (1.0 = known export
layout, 0.8 = header name, 0.5 = header word, 0.4 = the values look right) so the app can show what
to check, and the user can correct it with `--map FIELD=COLUMN` or the mapping editor.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from retention.errors import UserInputError
from retention.i18n import how_text
from retention.ingest.formats import GENERIC, HELPER_FIELDS, ExportFormat
from retention.schema import FIELD_NAMES

MAPPABLE: tuple[str, ...] = FIELD_NAMES + HELPER_FIELDS

# Normalised header names (lowercase, no accents, words separated by one space) per field.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "order_id": (
        "order id",
        "order number",
        "order no",
        "order",
        "order nr",
        "numero ordine",
        "n ordine",
        "nr ordine",
        "id ordine",
        "ordine",
        "codice ordine",
        "riferimento",
        "reference",
        "invoice",
        "invoice no",
        "invoiceno",
        "invoice number",
        "fattura",
        "numero fattura",
        "transaction id",
        "id transazione",
        "order ref",
    ),
    "customer_id": (
        "customer id",
        "customerid",
        "client id",
        "id cliente",
        "codice cliente",
        "cliente id",
        "user id",
        "customer number",
        "customer no",
        "customer",
        "cliente",
        "account id",
    ),
    "order_date": (
        "order date",
        "data ordine",
        "date",
        "data",
        "created at",
        "created",
        "purchase date",
        "invoicedate",
        "invoice date",
        "data acquisto",
        "data fattura",
        "order time",
        "timestamp",
        "date created",
        "data creazione",
        "data e ora",
        "paid at",
    ),
    "revenue": (
        "total",
        "order total",
        "amount",
        "revenue",
        "totale",
        "importo",
        "net sales",
        "sales",
        "grand total",
        "line total",
        "totale riga",
        "importo totale",
        "totale ordine",
        "valore",
        "total amount",
        "net amount",
        "importo netto",
        "subtotal",
        "totale netto",
        "incasso",
    ),
    "unit_price": (
        "unit price",
        "price",
        "prezzo",
        "prezzo unitario",
        "unitprice",
        "item price",
        "lineitem price",
        "price per unit",
    ),
    "quantity": ("quantity", "qty", "quantita", "qta", "pezzi", "items sold", "lineitem quantity", "units", "qt"),
    "email": (
        "email",
        "e mail",
        "customer email",
        "mail",
        "indirizzo email",
        "email address",
        "billing email",
        "posta elettronica",
    ),
    "phone": ("phone", "telephone", "telefono", "cellulare", "mobile", "phone number", "tel"),
    "first_name": ("first name", "firstname", "nome", "given name", "billing first name"),
    "last_name": ("last name", "lastname", "cognome", "surname", "family name", "billing last name"),
    "country": ("country", "paese", "nazione", "country code", "billing country"),
    "city": ("city", "citta", "comune", "localita", "town", "billing city"),
    "zip": ("zip", "postcode", "postal code", "cap", "zip code", "codice postale", "billing zip"),
    "accepts_marketing": (
        "accepts marketing",
        "newsletter",
        "consenso marketing",
        "marketing consent",
        "opt in",
        "consenso newsletter",
        "accepts email marketing",
        "marketing",
    ),
    "product_id": (
        "sku",
        "product id",
        "codice prodotto",
        "codice articolo",
        "stockcode",
        "stock code",
        "articolo",
        "item id",
        "product code",
        "codice",
    ),
    "product_name": (
        "product",
        "product name",
        "item",
        "description",
        "prodotto",
        "nome prodotto",
        "descrizione",
        "item name",
        "articolo nome",
    ),
    "category": ("category", "categoria", "product type", "product category", "reparto"),
    "discount_code": ("discount code", "coupon", "codice sconto", "coupon code", "coupons", "voucher"),
    "channel": ("channel", "source", "canale", "fonte", "sales channel", "canale di vendita"),
    "currency": ("currency", "valuta", "divisa"),
    "status": (
        "status",
        "stato",
        "order status",
        "stato ordine",
        "financial status",
        "payment status",
        "stato pagamento",
    ),
    "refunded": (
        "refunded",
        "refund",
        "amount refunded",
        "rimborso",
        "rimborsato",
        "refunded amount",
        "total refunded",
        "importo rimborsato",
        "refund amount",
    ),
    "line_discount": ("discount", "sconto", "line discount", "discount amount", "importo sconto"),
    "cancelled_at": ("cancelled at", "canceled at", "data annullamento"),
    "test": ("test", "is test", "test order", "mode"),
    "payment_gateway": ("payment gateway", "gateway", "payment method", "metodo di pagamento", "metodo pagamento"),
    "tags": ("tags", "tag", "etichette"),
    "full_name": (
        "full name",
        "customer name",
        "billing name",
        "nome completo",
        "nome e cognome",
        "nominativo",
        "nome cliente",
    ),
}

# Fields that may read a column another field already uses: a customer's name is sometimes also
# the only identity the export has (PrestaShop `Customer`, WooCommerce Analytics `Customer`).
SHARES_COLUMN: frozenset[str] = frozenset({"full_name"})

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_DATE = re.compile(
    r"^\s*(\d{4}-\d{1,2}-\d{1,2}|\d{1,2}[/.\-]\d{1,2}[/.\-]\d{2,4}|(19|20)\d{2}[01]\d[0-3]\d)(\b|T|\s|$)"
)
_MONEY = re.compile(r"^\s*[-+]?\s*[€$£]?\s*[-+]?\d{1,3}([.,' ]?\d{3})*([.,]\d{1,2})\s*(€|EUR|USD|GBP)?\s*$")
_INT = re.compile(r"^\s*\d+\s*$")
# Two or more words of letters (apostrophes and hyphens inside), no digits: "Giulia De Luca", "D'Arcy Ferri".
_PERSON_NAME = re.compile(r"^\s*[^\W\d_]+(?:['\-][^\W\d_]+)*(?:\s+[^\W\d_]+(?:['\-][^\W\d_]+)*)+\s*$")


def normalise_header(name: str) -> str:
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text).split())


@dataclass
class MappingGuess:
    """A proposed mapping with a confidence per field and a sentence on how each was found."""

    mapping: dict[str, str] = field(default_factory=dict)
    confidence: dict[str, float] = field(default_factory=dict)
    how: dict[str, str] = field(default_factory=dict)
    # `how` as data ({"code": ..., values}) for the app to say in the user's language (`how.<code>`)
    how_notes: dict[str, dict[str, str]] = field(default_factory=dict)

    def found(self, fld: str, source: str, confidence: float, code: str, **values: str) -> None:
        """Map `fld` to the column `source`, saying how it was found (`retention.i18n` key `how.<code>`)."""
        self.mapping[fld], self.confidence[fld] = source, confidence
        self.how_notes[fld] = {"code": code, **values}
        self.how[fld] = how_text(self.how_notes[fld], "en")

    def forget(self, fld: str) -> None:
        for d in (self.mapping, self.confidence, self.how, self.how_notes):
            d.pop(fld, None)

    @property
    def guessed(self) -> list[str]:
        """Fields not taken from a known export layout or from the user: worth a look."""
        return sorted(f for f, c in self.confidence.items() if c < 1.0)


_CODE = re.compile(r"^\s*[A-Za-z0-9][A-Za-z0-9_\-./]{0,63}\s*$")


def _returns_on_other_dates(values: list[str], dates: list[str]) -> bool:
    """Whether the values found on several rows are, for the most part, found on several dates.

    A customer's id comes back on the rows of their later orders; an order number comes back only
    on the lines of its one order, all written with one date. Needs two such values at least, so
    that one coincidence in the sample decides nothing.
    """
    rows: dict[str, int] = {}
    days: dict[str, set[str]] = {}
    for value, day in zip(values, dates, strict=False):
        v = value.strip()
        if v:
            rows[v] = rows.get(v, 0) + 1
            days.setdefault(v, set()).add(day.strip())
    repeated = [v for v, n in rows.items() if n > 1]
    returning = [v for v in repeated if len(days[v]) > 1]
    return len(returning) >= 2 and len(returning) >= 0.5 * len(repeated)


def _share(values: list[str], pattern: re.Pattern) -> float:
    vals = [v for v in values if v.strip()]
    if not vals:
        return 0.0
    return sum(1 for v in vals if pattern.match(v)) / len(vals)


def guess_mapping(columns: list[str], sample_rows: list[list[str]], fmt: ExportFormat = GENERIC) -> MappingGuess:
    """Propose `{field: column}` for a file: format layout first, then header names, then values."""
    guess = MappingGuess()
    lower = {c.lower(): c for c in columns}
    used: set[str] = set()
    for fld, candidates in fmt.columns.items():
        for cand in candidates:
            if cand.lower() in lower and (fld in SHARES_COLUMN or lower[cand.lower()] not in used):
                col = lower[cand.lower()]
                guess.found(fld, col, 1.0, "format_column", label=fmt.label)
                if fld not in SHARES_COLUMN:
                    used.add(col)
                break
    if fmt is not GENERIC:
        # a known layout: its own columns are the mapping; guessing more would misread (Shopify's
        # `Total` includes shipping, its revenue comes from the line prices)
        return guess
    norm = {c: normalise_header(c) for c in columns}
    # exact synonym, in synonym order (earlier synonyms are more specific)
    for fld, syns in SYNONYMS.items():
        if fld in guess.mapping:
            continue
        for syn in syns:
            hit = next((c for c in columns if c not in used and norm[c] == syn), None)
            if hit:
                guess.found(fld, hit, 0.8, "header_reads_as", header=hit, field=fld)
                used.add(hit)
                break
    # a synonym as whole words inside a longer header ("Data ordine (UTC)", "Totale EUR")
    for fld, syns in SYNONYMS.items():
        if fld in guess.mapping or fld in HELPER_FIELDS:
            continue
        for syn in syns:
            if len(syn) < 4:
                continue
            hit = next((c for c in columns if c not in used and re.search(rf"\b{re.escape(syn)}\b", norm[c])), None)
            if hit:
                guess.found(fld, hit, 0.5, "header_contains", header=hit, word=syn)
                used.add(hit)
                break
    # values: what still has no column
    cols_values = {c: [r[i] for r in sample_rows if i < len(r)] for i, c in enumerate(columns)}
    for fld, pattern, need in (("email", _EMAIL, 0.8), ("order_date", _DATE, 0.8), ("revenue", _MONEY, 0.8)):
        if fld in guess.mapping:
            continue
        best = max(
            (c for c in columns if c not in used),
            key=lambda c: (_share(cols_values[c], pattern), -columns.index(c)),
            default=None,
        )
        if best is not None and _share(cols_values[best], pattern) >= need:
            guess.found(fld, best, 0.4, "values_look_like", column=best, field=fld)
            used.add(best)
    # No identity found by name (no customer, e-mail or phone column): an id column whose values
    # come back on rows of other dates holds customers (CDNOW's `id`, a CRM's `member id`). Without
    # it every row would be left out for want of an identity; the guess is reported for a check.
    if not ({"customer_id", "email", "phone"} & guess.mapping.keys()) and "order_date" in guess.mapping:
        dates = cols_values[guess.mapping["order_date"]]
        for c in columns:
            if c in used or not re.search(r"\bid\b", norm[c]) or _share(cols_values[c], _CODE) < 0.9:
                continue
            if _returns_on_other_dates(cols_values[c], dates):
                guess.found("customer_id", c, 0.4, "returns_on_other_dates", column=c)
                used.add(c)
                break
    # A "Cliente"/"Customer" column holding people's names is no identity: two Mario Rossi are two
    # customers, and one customer may type their name two ways. With an e-mail or phone to go by,
    # read it as the full name and let identity fall back to those.
    cid = guess.mapping.get("customer_id")
    if (
        cid is not None
        and guess.confidence["customer_id"] < 1.0
        and ("email" in guess.mapping or "phone" in guess.mapping)
        and _share(cols_values.get(cid, []), _PERSON_NAME) >= 0.8
    ):
        guess.forget("customer_id")
        if "full_name" not in guess.mapping:
            guess.found("full_name", cid, 0.5, "peoples_names", column=cid)
    return guess


def resolve_column(columns: list[str], ref: str) -> str | None:
    """A column by name (case-insensitive) or by 1-based position."""
    if ref in columns:
        return ref
    low = {c.lower(): c for c in columns}
    if ref.lower() in low:
        return low[ref.lower()]
    if ref.strip().isdigit():
        pos = int(ref)
        if 1 <= pos <= len(columns):
            return columns[pos - 1]
    return None


def check_user_mapping(user: dict[str, str]) -> None:
    for fld in user:
        if fld not in MAPPABLE:
            raise UserInputError(f"--map names an unknown field {fld!r}; use one of: {', '.join(MAPPABLE)}.")


def apply_user_mapping(guess: MappingGuess, columns: list[str], user: dict[str, str]) -> list[str]:
    """Override the guess with the user's choices; returns the user entries this file lacks.

    An empty COLUMN (`--map email=`) removes a guessed field.
    """
    missing = []
    for fld, ref in user.items():
        if ref == "":
            guess.mapping.pop(fld, None)
            guess.confidence.pop(fld, None)
            continue
        col = resolve_column(columns, ref)
        if col is None:
            missing.append(f"{fld}={ref}")
            continue
        for other, c in list(guess.mapping.items()):
            if c == col and other != fld and other not in user and SHARES_COLUMN.isdisjoint({fld, other}):
                guess.forget(other)
        guess.found(fld, col, 1.0, "set_by_you")
    return missing


def save_mapping(mapping: dict[str, str], path: str | Path) -> None:
    """Write a mapping as JSON, to reuse it for the next export of the same shop."""
    check_user_mapping(mapping)
    Path(path).write_text(json.dumps({"mapping": mapping}, indent=2, ensure_ascii=False), encoding="utf-8")


def load_mapping(path: str | Path) -> dict[str, str]:
    """Read a mapping saved by `save_mapping` (or a plain `{field: column}` JSON object)."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UserInputError(f"the mapping file {path} cannot be read ({exc}); save the mapping again.") from None
    mapping = data.get("mapping", data) if isinstance(data, dict) else None
    if not isinstance(mapping, dict) or not all(isinstance(v, str) for v in mapping.values()):
        raise UserInputError(f"the mapping file {path} is not a field-to-column mapping; save the mapping again.")
    check_user_mapping(mapping)
    return dict(mapping)
