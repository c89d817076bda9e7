"""Turning an uploaded or on-disk export into something DuckDB can read as text, fast.

What DuckDB reads directly: UTF-8 text files (with or without BOM, plain or .gz) with a single
character delimiter; an in-memory upload of such text is written to a temporary file as it is, in
one write. Everything else is first rewritten, streaming in chunks, to a UTF-8 temporary file:
cp1252 or UTF-16 text, whitespace-separated columns, .xlsx workbooks, gzipped uploads.

The layout (delimiter, header, Excel's `sep=;` line) is decided here in Python on a sample, because
DuckDB's sniffer gets some of it wrong (see FIELD-NOTES.md); DuckDB then reads every column as text
and `cleaning` converts amounts and dates explicitly.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import os
import re
import tempfile
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from retention.errors import UserInputError

SAMPLE_BYTES = 1 << 20  # enough lines to judge delimiter and header, small enough to be instant
CHUNK_BYTES = 8 << 20  # streaming conversion chunk
DELIMITERS = (",", ";", "\t", "|")
WHITESPACE = "whitespace"

# A file given as an in-memory upload: (file name, content).
Upload = tuple[str, bytes]


@dataclass
class PreparedFile:
    """One input file, ready for `read_csv`.

    `path` is a UTF-8 file DuckDB can read; `skip` lines precede the data (Excel's `sep=` line and
    the header); `columns` are the display names of the columns (header cells, made unique, or
    `column 1`, `column 2`... for headerless files). `first_row` is the spreadsheet row number of
    the first data record (header = row 1).
    """

    name: str
    path: str
    delimiter: str
    has_header: bool
    skip: int
    columns: list[str]
    encoding: str
    sample_rows: list[list[str]] = field(default_factory=list)
    temporary: bool = False
    compression: str = "none"
    # `path` holds the input's bytes unchanged (the file itself, or a verbatim copy of an upload):
    # if DuckDB finds a byte that is not UTF-8 after the sample, it can still be decoded in Python
    verbatim: bool = False
    converted_from: str | None = None

    @property
    def first_row(self) -> int:
        return self.skip + 1

    def cleanup(self) -> None:
        if self.temporary:
            try:
                os.unlink(self.path)
            except OSError:
                pass


def _display_name(item) -> str:
    if isinstance(item, tuple):
        return Path(str(item[0])).name
    return Path(str(item)).name


def _open_binary(item) -> tuple[io.BufferedIOBase, bool]:
    """Binary stream of the content (gzip transparently), and whether it was gzipped."""
    if isinstance(item, tuple):
        raw: io.BufferedIOBase = io.BytesIO(item[1])
    else:
        p = Path(item)
        if p.is_dir():
            raise UserInputError(f"{p} is a folder, not an order export; give the path of a file inside it.")
        raw = open(p, "rb")  # noqa: SIM115 - closed by the caller
    head = raw.read(2)
    raw.seek(0)
    if head == b"\x1f\x8b":
        return gzip.GzipFile(fileobj=raw), True  # type: ignore[return-value]
    return raw, False


def _detect_encoding(sample: bytes) -> str:
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        sample.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as exc:
        # a multi-byte character cut by the sample boundary is still UTF-8
        if exc.start >= len(sample) - 3:
            return "utf-8"
        return "cp1252"


def _looks_binary(sample: bytes, encoding: str) -> bool:
    if encoding == "utf-16":
        return False
    if b"\x00" in sample[:8192]:
        return True
    text = sample[:8192].decode("cp1252", errors="replace")
    controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\r\n\t\f")
    return controls > max(5, len(text) // 50)


def _records(text: str, delimiter: str) -> list[list[str]]:
    """Parse the sample text; the last record may be cut by the sample boundary and is dropped."""
    rows = list(csv.reader(io.StringIO(text), delimiter=delimiter, quotechar='"', doublequote=True))
    return [r for r in rows if r and any(c.strip() for c in r)]


def _choose_delimiter(text: str) -> str:
    lines = [ln for ln in text.splitlines()[:200] if ln.strip()]
    best, best_score = None, (0.0, 0)
    for d in DELIMITERS:
        try:
            rows = _records("\n".join(lines), d)
        except csv.Error:
            continue
        counts = Counter(len(r) for r in rows[:100])
        if not counts:
            continue
        width, freq = counts.most_common(1)[0]
        if width < 2:
            continue
        score = (freq / sum(counts.values()), width)
        if score > best_score:
            best, best_score = d, score
    if best is not None and best_score[0] >= 0.6:
        return best
    widths = Counter(len(ln.split()) for ln in lines[:100])
    if widths:
        width, freq = widths.most_common(1)[0]
        if width >= 2 and freq / sum(widths.values()) >= 0.8:
            return WHITESPACE
    return best or ","


_VALUE_RE = re.compile(
    r"^\s*(?:[-+]?[€$£]?\s*[-+]?\d[\d.,' ]*\s*(?:€|EUR|USD|GBP|%)?"  # an amount or a number
    r"|\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}.*"  # a date
    r"|[^@\s]+@[^@\s]+)\s*$"  # an email
)


def _first_row_is_header(first: list[str], second: list[str] | None) -> bool:
    """A header has no cell that looks like a value (number, date, email)."""
    cells = [c for c in first if c.strip()]
    if not cells:
        return False
    values = sum(1 for c in cells if _VALUE_RE.match(c))
    if values == 0:
        return True
    if values == len(cells):
        return False
    # mixed: header if the next row has more value-looking cells
    if second is not None:
        return sum(1 for c in second if c.strip() and _VALUE_RE.match(c)) > values
    return False


def unique_column_names(cells: list[str]) -> list[str]:
    """Header cells made unique and non-empty: blanks become `column N`, repeats get ` (2)`."""
    seen: Counter[str] = Counter()
    out = []
    for i, c in enumerate(cells, start=1):
        name = c.strip().lstrip("\ufeff") or f"column {i}"
        seen[name] += 1
        if seen[name] > 1:
            name = f"{name} ({seen[name]})"
        out.append(name)
    return out


def _tmp(suffix: str) -> tuple[int, str]:
    return tempfile.mkstemp(prefix="retention-ingest-", suffix=suffix)


def _write_bytes(data: bytes) -> str:
    fd, path = _tmp(".csv")
    with os.fdopen(fd, "wb") as out:
        out.write(data)
    return path


def _xlsx_to_csv(stream) -> str:
    """First worksheet of an .xlsx as a UTF-8 CSV temp file (dates as ISO text)."""
    import datetime as dt

    from openpyxl import load_workbook

    try:
        wb = load_workbook(stream, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types on a damaged workbook
        raise UserInputError(
            f"the workbook cannot be opened ({type(exc).__name__}); save it again from Excel as .xlsx or CSV.",
            code="bad_workbook",
            reason=type(exc).__name__,
        ) from None
    ws = wb.worksheets[0]
    fd, path = _tmp(".csv")
    with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
        w = csv.writer(out)
        for row in ws.iter_rows(values_only=True):
            cells = []
            for v in row:
                if v is None:
                    cells.append("")
                elif isinstance(v, dt.datetime):
                    cells.append(v.isoformat(sep=" "))
                elif isinstance(v, dt.date):
                    cells.append(v.isoformat())
                elif isinstance(v, float) and v.is_integer() and abs(v) < 1e15:
                    cells.append(str(int(v)))
                else:
                    cells.append(str(v))
            w.writerow(cells)
    wb.close()
    return path


def _rewrite_utf8(stream, encoding: str, whitespace: bool) -> str:
    """Stream the content into a UTF-8 temp file; whitespace columns become tab-separated.

    cp1252 is the fallback for any chunk that is not UTF-8, so a mostly-UTF-8 file with one Windows
    character somewhere still reads.
    """
    fd, path = _tmp(".csv")
    if encoding in ("utf-8", "utf-8-sig"):
        decoder = codecs.getincrementaldecoder("utf-8-sig")(errors="strict")
    else:
        decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
    with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
        pending = ""
        while True:
            chunk = stream.read(CHUNK_BYTES)
            final = not chunk
            try:
                text = decoder.decode(chunk, final=final)
            except UnicodeDecodeError:
                decoder = codecs.getincrementaldecoder("cp1252")(errors="replace")
                text = decoder.decode(chunk, final=final)
            if whitespace:
                text = pending + text
                if not final:
                    cut = text.rfind("\n") + 1
                    text, pending = text[:cut], text[cut:]
                text = "\n".join("\t".join(ln.split()) for ln in text.splitlines()) + ("\n" if text else "")
            out.write(text)
            if final:
                break
    return path


def prepare_file(item, *, positional: bool = False) -> PreparedFile:
    """Decide encoding, delimiter and header of one input and make it readable by DuckDB.

    `positional`: the caller maps columns by position (`--map customer_id=2`), which tips a
    doubtful first row towards being data.
    """
    name = _display_name(item)
    stream, gzipped = _open_binary(item)
    try:
        try:
            sample = stream.read(SAMPLE_BYTES)
        except (OSError, EOFError, gzip.BadGzipFile):
            raise UserInputError(
                f"{name} looks compressed but cannot be unpacked; export it again.", code="bad_compressed", file=name
            ) from None
        if not sample.strip():
            raise UserInputError(
                f"{name} is empty; export the orders again and choose a file with rows.", code="empty_file", file=name
            )
        converted_from = None
        if sample.startswith(b"PK\x03\x04"):
            with zipfile.ZipFile(stream if not isinstance(item, tuple) else io.BytesIO(item[1])) as z:
                if not any(n.startswith("xl/") for n in z.namelist()):
                    raise UserInputError(
                        f"{name} is a zip archive, not an export; unzip it and give the CSV inside.",
                        code="zip_archive",
                        file=name,
                    )
            stream.seek(0)
            path = _xlsx_to_csv(stream)
            with open(path, "rb") as f:
                sample = f.read(SAMPLE_BYTES)
            encoding, converted_from = "utf-8", "xlsx"
            on_disk, temporary = path, True
        else:
            encoding = _detect_encoding(sample)
            if _looks_binary(sample, encoding):
                raise UserInputError(
                    f"{name} is not a text export (CSV, TSV or .xlsx); export the orders as CSV and try again.",
                    code="not_text",
                    file=name,
                )
            on_disk, temporary = None, False
        text = sample.decode("utf-8-sig" if encoding.startswith("utf-8") else encoding, errors="replace")
        if len(sample) == SAMPLE_BYTES:
            text = text[: text.rfind("\n") + 1] or text
        lines = text.splitlines()
        skip = 0
        delimiter = None
        m = re.match(r'^"?sep=(.)"?\s*$', lines[0].strip()) if lines else None
        if m:
            delimiter, skip = m.group(1), 1
            text = "\n".join(lines[1:])
        if delimiter is None:
            delimiter = _choose_delimiter(text)
        whitespace = delimiter == WHITESPACE
        if whitespace:
            rows = [ln.split() for ln in text.splitlines() if ln.strip()][:50]
        else:
            rows = _records(text, delimiter)[:51]
            if len(sample) == SAMPLE_BYTES and len(rows) > 1:
                rows = rows[:-1]
        if not rows:
            raise UserInputError(f"{name} has no rows; export the orders again.", code="no_rows", file=name)
        verbatim = False
        if on_disk is None:
            plain = encoding in ("utf-8", "utf-8-sig") and not whitespace
            if plain and not isinstance(item, tuple):
                on_disk, verbatim = str(item), True
            elif plain and not gzipped:
                # decoding and re-encoding a 170 MB upload in Python took 1.3 s; the bytes are already
                # what DuckDB reads
                on_disk, temporary, verbatim = _write_bytes(item[1]), True, True
            else:
                stream.close()
                stream, _gz = _open_binary(item)
                on_disk = _rewrite_utf8(stream, encoding, whitespace)
                temporary = True
                converted_from = encoding if encoding not in ("utf-8", "utf-8-sig") else converted_from
        first, second = rows[0], rows[1] if len(rows) > 1 else None
        has_header = _first_row_is_header(first, second)
        if positional and has_header and not any(c.strip().isalpha() for c in first):
            has_header = False
        width = max(Counter(len(r) for r in rows).most_common(1)[0][0], len(first))
        if has_header:
            columns = unique_column_names(first + [""] * (width - len(first)))
            data = rows[1:]
            skip += 1
        else:
            columns = [f"column {i}" for i in range(1, width + 1)]
            data = rows
        return PreparedFile(
            name=name,
            path=on_disk,
            delimiter="\t" if whitespace else delimiter,
            has_header=has_header,
            skip=skip,
            columns=columns,
            encoding=encoding,
            sample_rows=[r + [""] * (width - len(r)) for r in data[:50]],
            compression="gzip" if (gzipped and on_disk == str(item)) else "none",
            temporary=temporary,
            converted_from=converted_from or ("whitespace" if whitespace else None),
            verbatim=verbatim,
        )
    finally:
        stream.close()


def reprepare_as_decoded(pf: PreparedFile, item) -> PreparedFile:
    """DuckDB refused the file as UTF-8 (a bad byte after the sample): rewrite it decoded in Python."""
    stream, _gz = _open_binary(item)
    try:
        path = _rewrite_utf8(stream, "utf-8", False)
    finally:
        stream.close()
    pf.cleanup()
    pf.path, pf.temporary, pf.converted_from, pf.verbatim = path, True, "cp1252", False
    return pf
