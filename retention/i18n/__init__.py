"""UI strings in English and Italian, and numbers and dates formatted for each language.

`t(key, lang)` looks a key up in `<lang>.json` (falling back to English, then to the key itself,
so a missing translation shows up as readable text instead of an error). Formatting follows the
language's conventions: English `€1,234.56` and `31 Dec 2024`, Italian `1.234,56 €` and `31/12/2024`.
Pure Python: the app and the command line share it, and it never imports Streamlit.
"""

from __future__ import annotations

import json
import math
from datetime import date, datetime
from functools import cache
from importlib import resources
from typing import Any

LANGUAGES: dict[str, str] = {"en": "English", "it": "Italiano"}
DEFAULT_LANGUAGE = "en"

CURRENCY_SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£", "JPY": "¥", "CHF": "CHF", "": ""}

_EN_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@cache
def strings(lang: str) -> dict[str, str]:
    """All UI strings of one language (key -> text)."""
    if lang not in LANGUAGES:
        lang = DEFAULT_LANGUAGE
    text = resources.files(__package__).joinpath(f"{lang}.json").read_text(encoding="utf-8")
    return json.loads(text)


def t(key: str, lang: str = DEFAULT_LANGUAGE, **values: Any) -> str:
    """The UI text of `key` in `lang`, with `{name}` placeholders filled from `values`."""
    text = strings(lang).get(key) or strings(DEFAULT_LANGUAGE).get(key) or key
    return text.format(**values) if values else text


def _is_missing(value: Any) -> bool:
    if value is None:
        return True
    try:
        return bool(isinstance(value, float) and math.isnan(value))
    except TypeError:
        return False


def format_number(value: Any, lang: str = DEFAULT_LANGUAGE, decimals: int = 0) -> str:
    """`1234.5` -> `1,234.5` (en) or `1.234,5` (it); `–` when there is no value."""
    if _is_missing(value):
        return "–"
    text = f"{float(value):,.{decimals}f}"
    if lang == "it":
        text = text.replace(",", "\0").replace(".", ",").replace("\0", ".")
    return text


def format_money(value: Any, lang: str = DEFAULT_LANGUAGE, currency: str | None = "EUR", decimals: int = 2) -> str:
    """`1234.56` -> `€1,234.56` (en) or `1.234,56 €` (it); unknown currencies keep their ISO code."""
    if _is_missing(value):
        return "–"
    code = (currency or "").upper()
    symbol = CURRENCY_SYMBOLS.get(code, code)
    number = format_number(abs(float(value)), lang, decimals)
    sign = "-" if float(value) < 0 else ""
    if lang == "it":
        return f"{sign}{number} {symbol}".strip()
    if len(symbol) == 1:
        return f"{sign}{symbol}{number}"
    return f"{sign}{number} {symbol}".strip()


def format_percent(value: Any, lang: str = DEFAULT_LANGUAGE, decimals: int = 1) -> str:
    """A fraction as a percentage: `0.2234` -> `22.3%` (en) or `22,3%` (it)."""
    if _is_missing(value):
        return "–"
    return format_number(float(value) * 100, lang, decimals) + "%"


def format_month(value: Any, lang: str = DEFAULT_LANGUAGE) -> str:
    """The month of a date: `2024-01-01` -> `Jan 2024` (en) or `01/2024` (it, as Italian Excel
    writes a month). Accepts dates, datetimes, ISO text."""
    if _is_missing(value):
        return "–"
    day = datetime.fromisoformat(value) if isinstance(value, str) else value
    if lang == "it":
        return f"{day.month:02d}/{day.year}"
    return f"{_EN_MONTHS[day.month - 1]} {day.year}"


def format_date(value: Any, lang: str = DEFAULT_LANGUAGE) -> str:
    """`2024-12-31` -> `31 Dec 2024` (en) or `31/12/2024` (it). Accepts dates, datetimes, ISO text."""
    if _is_missing(value):
        return "–"
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if hasattr(value, "to_pydatetime"):  # pandas Timestamp
        value = value.to_pydatetime()
    if isinstance(value, datetime):
        value = value.date()
    if not isinstance(value, date):
        return str(value)
    if lang == "it":
        return value.strftime("%d/%m/%Y")
    return f"{value.day} {_EN_MONTHS[value.month - 1]} {value.year}"


def _text_or(key: str, lang: str, default: str) -> str:
    return strings(lang).get(key) or strings(DEFAULT_LANGUAGE).get(key) or default


def reason_label(reason: str, lang: str = DEFAULT_LANGUAGE) -> str:
    """A cleaning-ledger reason (`retention.sql.ingest.REASONS`) in `lang`; unknown text as it is."""
    return _text_or(f"reason.{reason}", lang, reason)


def format_label(name: str, label: str, lang: str = DEFAULT_LANGUAGE) -> str:
    """The name of a recognised export layout (`ExportFormat.name`, English `label`) in `lang`."""
    return _text_or(f"format.{name}", lang, label)


def segment_label(name: str, lang: str = DEFAULT_LANGUAGE) -> str:
    """A segment's name (an RFM group, a lifecycle segment, a churn-risk tier `low`/`medium`/`high`)
    in `lang`; a name without a translation (a custom rule's group) as it is."""
    return _text_or(f"segment.{name}", lang, name)


def export_format_label(name: str, label: str, lang: str = DEFAULT_LANGUAGE) -> str:
    """The name of an audience file format (`retention.exports.ExportFormat.name`, English `label`)
    in `lang`."""
    return _text_or(f"export_format.{name}", lang, label)


def note_text(note: dict[str, Any], lang: str = DEFAULT_LANGUAGE) -> str:
    """One note of the ingester (`IngestReport.notes`: a code and its values) as a sentence in `lang`.

    Counts `n` are formatted for the language, with the singular sentence (`note.<code>_one`) for 1.
    """
    code = str(note.get("code", ""))
    values = {k: v for k, v in note.items() if k != "code"}
    key = f"note.{code}"
    if "n" in values:
        n = int(values["n"])
        values["n"] = format_number(n, lang)
        if n == 1 and f"{key}_one" in strings(DEFAULT_LANGUAGE):
            key = f"{key}_one"
    if "reason" in values:
        reason = str(values.pop("reason"))
        values["why"] = _text_or(f"reason_why.{reason}", lang, reason)
    if "columns" in values:
        values["columns"] = ", ".join(f"'{column}' → {field}" for column, field in values["columns"])
    if "currencies" in values:
        values["currencies"] = ", ".join(str(c) for c in values["currencies"])
    if "bases" in values:
        values["bases"] = "; ".join(_text_or(f"basis.{b}", lang, str(b)) for b in values["bases"])
    if "field" in values:
        values["field"] = str(values["field"]).replace("_", " ")
    return t(key, lang, **values)


def how_text(note: dict[str, Any], lang: str = DEFAULT_LANGUAGE) -> str:
    """How a column was matched to a field (`MappingGuess.how_notes`), in `lang`; fields keep the
    names the mapping editor shows (`order_date`)."""
    values = {k: v for k, v in note.items() if k != "code"}
    return t(f"how.{note.get('code', '')}", lang, **values)


def field_meaning(name: str, lang: str = DEFAULT_LANGUAGE, default: str = "") -> str:
    """What a canonical order field holds (`retention.schema.FIELDS`), in `lang`."""
    return _text_or(f"field.{name}", lang, default)


def error_text(exc: BaseException, lang: str = DEFAULT_LANGUAGE) -> str:
    """A `UserInputError` in `lang` from its code and values (i18n key `error.<code>`); its own
    English message when it has no code or no such key."""
    code = getattr(exc, "code", None)
    if not code or f"error.{code}" not in strings(DEFAULT_LANGUAGE):
        return str(exc)
    values = dict(getattr(exc, "values", {}))
    if "why" in values:  # a cleaning-ledger reason
        values["why"] = reason_label(values["why"], lang)
    for k in ("rows", "n"):
        if isinstance(values.get(k), int):
            values[k] = format_number(values[k], lang)
    return t(f"error.{code}", lang, **values)


def plotly_separators(lang: str = DEFAULT_LANGUAGE) -> str:
    """Plotly's `separators` layout value: decimal mark then thousands mark."""
    return ",." if lang == "it" else ".,"


__all__ = [
    "LANGUAGES",
    "error_text",
    "export_format_label",
    "format_label",
    "format_date",
    "format_money",
    "format_number",
    "field_meaning",
    "format_percent",
    "how_text",
    "note_text",
    "plotly_separators",
    "reason_label",
    "segment_label",
    "strings",
    "t",
]
