"""How a CSV file is written: its separator, decimal mark, thousands separator and
encoding, read off the file itself.

The draft writes what it finds into the catalog entries' `load_args`; the catalog's
`CSVTableDataset` checks, each time it reads the file, that the file still is written
that way (a nightly extract from another system may write `45.59` where the drafted
file wrote `45,59`: read with the drafted marks, that is 4,559 without a word).
"""

from __future__ import annotations

import bz2
import codecs
import contextlib
import csv
import gzip
import io
import lzma
import re
import zipfile
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from risk_segments.schema import APOSTROPHES, SEPARATORS, SPACES, UNIT_SIGNS

WHITESPACE = r"\s+"  # ...and runs of spaces, as fixed-width text exports have
_DECIMAL_COMMA = re.compile(r"^[+\-\u2212]?\d*,\d+$")
_DECIMAL_POINT = re.compile(r"^[+\-\u2212]?\d*\.\d+$")
_THOUSANDS = {  # 1,234,567.89; 1.234.567,89; 1 234 567,89 (space, no-break spaces)
    ",": re.compile(r"^[+\-\u2212]?\d{1,3}(,\d{3})+(\.\d+)?$"),
    **{
        mark: re.compile(rf"^[+\-\u2212]?\d{{1,3}}({re.escape(mark)}\d{{3}})+(,\d+)?$")
        for mark in (".", " ", "\u00a0", "\u202f")
    },
    **{  # Swiss: 1'234.50
        mark: re.compile(rf"^[+\-\u2212]?\d{{1,3}}({mark}\d{{3}})+([.,]\d+)?$")
        for mark in APOSTROPHES
    },
}
# 1 234,50 and 1'234.50: the grouping marks, which hide the decimal mark's evidence
_SPACED = re.compile(rf"(?<=\d)[{SPACES}{APOSTROPHES}](?=\d{{3}}\b)")
_DECOMPRESS = {".gz": gzip.open, ".bz2": bz2.open, ".xz": lzma.open}


class FileShapeError(ValueError):
    """The file cannot be read as one table (a zip of several files)."""


JSON_LINES = (".jsonl", ".ndjson")  # one JSON object per line (API exports)


# a date in a file's name, as monthly exports are named (sellers_2024-01.csv,
# export-20240131.csv): year, month and, if written, day
_NAMED_DATE = re.compile(
    r"(?<!\d)(?P<year>(?:19|20)\d{2})[-_.]?(?P<month>0[1-9]|1[0-2])"
    r"(?:[-_.]?(?P<day>0[1-9]|[12]\d|3[01]))?(?!\d)"
)


def date_in_name(name: str) -> str | None:
    """The one date a file's name holds, as ISO text (a month as its first day:
    'sellers_2024-01.csv' -> '2024-01-01'); None if it holds none or several."""
    found = list(_NAMED_DATE.finditer(Path(name).name))
    if len(found) != 1:
        return None
    year, month, day = found[0].group("year", "month", "day")
    return f"{year}-{month}-{day or '01'}"


def relative_month_names(columns: list[str]) -> dict[str, str]:
    """Columns named by month, as a report pivoted wide writes them (gmv_2024_05,
    gmv_2024_06, orders_2024_06) -> their names by months before the newest such
    month (gmv_m1, gmv_m0, orders_m0): next month's file, whose columns are a month
    later, reads as the same features. Only a name stem that recurs for two or more
    months counts; {} when there is none."""
    months: dict[str, tuple[str, int, str]] = {}
    for name in map(str, columns):
        found = list(_NAMED_DATE.finditer(name))
        if len(found) == 1:
            match = found[0]
            month = int(match.group("year")) * 12 + int(match.group("month"))
            months[name] = (name[: match.start()], month, name[match.end() :])
    stems = Counter((a, b) for a, _, b in months.values())
    dated = {n: v for n, v in months.items() if stems[v[0], v[2]] > 1}
    if not dated:
        return {}
    newest = max(month for _, month, _ in dated.values())
    return {n: f"{a}m{newest - month}{b}" for n, (a, month, b) in dated.items()}


def is_parquet(path: Path) -> bool:
    return path.suffix.lower() in (".parquet", ".pq")


def is_json(path: Path) -> bool:
    """JSON records: an array of objects (.json) or one object per line (.jsonl)."""
    return path.suffix.lower() in (".json", *JSON_LINES)


WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")


def is_workbook(path: Path) -> bool:
    """A spreadsheet workbook openpyxl reads (.xlsx, .xlsm)."""
    return path.suffix.lower() in WORKBOOK_SUFFIXES


# the catalog entry that reads each kind of file the draft writes entries for
READERS = {
    "a parquet file": "pandas.ParquetDataset",
    "a workbook": "risk_segments.datasets.ExcelTableDataset",
    "JSON records": "risk_segments.datasets.JSONTableDataset",
}


def not_a_csv(path: Path) -> str:
    """What a file read as CSV is instead, by its suffix or its first bytes (a nightly
    entry pointed at `scores_input.parquet`: read as text, it failed with 'utf-8 codec
    can't decode byte 0xc0'), with the entry that reads it; '' for a CSV."""
    with path.open("rb") as file:
        start = file.read(4)
    if is_parquet(path) or start == b"PAR1":
        kind = "a parquet file"
    elif is_workbook(path) or (
        start == b"PK\x03\x04" and path.suffix.lower() != ".zip"
    ):
        kind = "a workbook"
    elif is_json(path):
        kind = "JSON records"
    else:
        return ""
    return (
        f"it is {kind}, but the catalog entry reads a CSV: set the entry's type to "
        f"{READERS[kind]} (and remove its CSV load_args), or point it at a CSV written "
        "as the drafted one"
    )


def is_typed(path: Path) -> bool:
    """A file whose values carry their types (parquet, JSON, a workbook): no CSV
    dialect to read."""
    return is_parquet(path) or is_json(path) or is_workbook(path)


def json_load_args(path: Path, text_columns: list[str]) -> dict[str, Any]:
    """How `pd.read_json` reads JSON records as the draft and every run do: ids as
    text, dates left as written (the schema's date format reads them)."""
    return {
        "lines": path.suffix.lower() in JSON_LINES,
        "dtype": {c: "str" for c in text_columns},
        "convert_dates": False,
        "keep_default_dates": False,
    }


@contextlib.contextmanager
def open_bytes(path: Path) -> Iterator[IO[bytes]]:
    """The file's bytes, decompressed as pandas decompresses them (by the suffix:
    .gz, .bz2, .xz, or a .zip holding one file)."""
    suffix = path.suffix.lower()
    if suffix == ".zip":
        with zipfile.ZipFile(path) as archive:
            names = [n for n in archive.namelist() if not n.endswith("/")]
            if len(names) != 1:
                raise FileShapeError(
                    f"'{path.name}' holds {len(names)} files; a zip to read as a "
                    "table holds exactly one"
                )
            with archive.open(names[0]) as handle:
                yield handle
        return
    with _DECOMPRESS.get(suffix, open)(path, "rb") as handle:
        yield handle


def _utf16(path: Path) -> str | None:
    """'utf-16' for a file that starts with its byte-order mark (Excel's "Unicode
    text" export), 'utf-16-le' / 'utf-16-be' for one without whose bytes are every
    other one NUL; None otherwise."""
    with open_bytes(path) as handle:
        sample = handle.read(4096)
    if sample[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        return "utf-16"
    odd, even = sample[1::2], sample[0::2]
    if len(sample) >= 64 and odd.count(0) > 0.9 * len(odd) and 0 not in even:
        return "utf-16-le"
    if len(sample) >= 64 and even.count(0) > 0.9 * len(even) and 0 not in odd:
        return "utf-16-be"
    return None


def _encoding(path: Path) -> str:
    """utf-16 when the file says so (`_utf16`); utf-8 (with or without a byte-order
    mark) if the whole file decodes as it; else Windows-1252, the usual spreadsheet
    export; else latin-1 (decodes any byte)."""
    if wide := _utf16(path):
        return wide
    for encoding in ("utf-8", "cp1252"):
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            with open_bytes(path) as handle:
                while block := handle.read(1 << 24):
                    decoder.decode(block)
                decoder.decode(b"", final=True)
            return encoding
        except UnicodeDecodeError:
            continue
    return "latin-1"


def _first_lines(path: Path, encoding: str, n_lines: int) -> list[str]:
    with (
        open_bytes(path) as raw,
        io.TextIOWrapper(raw, encoding=encoding, errors="replace", newline="") as text,
    ):
        return [line for _, line in zip(range(n_lines), text, strict=False)]


def _before_header(line: str, sep: str, width: int) -> bool:
    """A line of a preamble above the header: without the separator (a title, a date,
    a blank line), or a comment line ("# Generated: 2024-06-30, by CRM") that does
    not split into the table's number of fields."""
    if sep not in line:
        return True
    fields = next(csv.reader([line], delimiter=sep), [])
    return line.lstrip("\ufeff").startswith("#") and len(fields) != width


def _separator(lines: list[str]) -> tuple[str, list[list[str]], int]:
    """The separator (Excel's `sep=;` first line if there is one, else the one of
    , ; tab | that splits most lines into the same number of fields, else runs of
    spaces if they do), the rows after the header, and how many lines come before
    the header: Excel's separator line, and a preamble of lines without the separator
    (a report's title, its date, blank lines) or of '#' comments that some exports
    put first."""
    hint = lines[0].strip().lstrip("\ufeff").lower() if lines else ""
    excel = len(hint) == 5 and hint.startswith("sep=")  # Excel's "sep=;" line
    if excel:
        lines = lines[1:]
    best, width = ",", 1
    for sep in (hint[4],) if excel else SEPARATORS:
        counts = [len(row) for row in csv.reader(lines, delimiter=sep) if row]
        if not counts:
            continue
        common = max(set(counts), key=counts.count)
        if common > width and counts.count(common) >= 0.9 * len(counts):
            best, width = sep, common
    preamble = 0
    if width > 1:
        while preamble < len(lines) and _before_header(lines[preamble], best, width):
            preamble += 1
    rows = list(csv.reader(lines[preamble + 1 :], delimiter=best))
    # no separator character: columns aligned by spaces (a fixed-width export)?
    if width == 1:
        counts = [len(line.split()) for line in lines if line.strip()]
        common = max(set(counts), key=counts.count) if counts else 1
        if common > 1 and counts.count(common) >= 0.9 * len(counts):
            best, rows = WHITESPACE, [line.split() for line in lines[1:]]
    return best, rows, int(excel) + preamble


def _number_fields(rows: list[list[str]]) -> list[str]:
    """The numbers of the sample, without currency or percent signs."""
    return [
        UNIT_SIGNS.sub(r"\1", f.strip())
        for row in rows
        for f in row
        if any(ch.isdigit() for ch in f)
    ]


def csv_dialect(path: Path, sample_lines: int = 500) -> dict[str, Any]:
    """The `read_csv` arguments a CSV needs beyond the defaults, read off its first
    lines: the separator, a decimal comma, a thousands separator, and the encoding.
    Empty for a plain comma-separated utf-8 file or a parquet file."""
    if is_typed(path) or not path.exists():
        return {}
    encoding = _encoding(path)
    best, rows, skip = _separator(_first_lines(path, encoding, sample_lines))
    fields = _number_fields(rows)
    out: dict[str, Any] = {} if best == "," else {"sep": best}
    if skip:  # Excel's separator line, a report's title lines: before the header
        out["skiprows"] = skip
    # a number grouped by spaces (1 234,50) shows its decimal mark once they are gone
    bare = [_SPACED.sub("", f) for f in fields]
    comma = sum(bool(_DECIMAL_COMMA.match(f)) for f in bare)
    point = sum(bool(_DECIMAL_POINT.match(f)) for f in bare)
    decimal = "," if best != "," and comma > point else "."
    if decimal == ",":
        out["decimal"] = ","
    marks = (".", " ", "\u00a0", "\u202f") if decimal == "," else (",",)
    for mark in (*marks, *APOSTROPHES):
        grouped = [f for f in fields if _THOUSANDS[mark].match(f)]
        other = {".": _DECIMAL_POINT, ",": _DECIMAL_COMMA}.get(mark)
        clash = other is not None and any(
            other.match(f) and f not in grouped for f in fields
        )
        if grouped and not clash:
            out["thousands"] = mark
            break
    if encoding != "utf-8":
        out["encoding"] = encoding
    return out


def number_marks(dialect: dict[str, Any]) -> dict[str, str]:
    """The decimal mark and thousands separator of a file's dialect (what numbers
    written as text need; the rest of the dialect is for `read_csv`)."""
    return {k: dialect[k] for k in ("decimal", "thousands") if k in dialect}


def _utf8_text(path: Path, size: int = 1 << 20) -> str:
    """A word of the file's first megabyte that only utf-8 writes so (a valid utf-8
    sequence beyond ASCII), or ''."""
    with open_bytes(path) as handle:
        sample = handle.read(size)
    if sample.isascii():
        return ""
    text = sample.decode("utf-8", errors="ignore")
    try:  # an encoding error only at the sample's cut: still utf-8
        sample[: len(sample) - 3].decode("utf-8")
    except UnicodeDecodeError:
        return ""
    return next((w for w in re.split(r"[\s,;|\t]+", text) if not w.isascii()), "")


def dialect_mismatch(
    path: Path, load_args: dict[str, Any], sample_lines: int = 500
) -> str:
    """What the file's first lines show that `load_args` would misread, or '': a
    separator other than `sep`, or numbers written with the decimal mark that
    `decimal` does not read (a value that could be either, such as `1.234` beside
    `thousands: "."`, or a file of whole numbers, is no evidence), or text in utf-8
    where the entry reads a one-byte encoding (`München` would read as `MÃ¼nchen`)."""
    encoding = load_args.get("encoding") or "utf-8"
    one_byte = not codecs.lookup(encoding).name.startswith("utf")
    if one_byte and (text := _utf8_text(path)):
        return (
            f"its text is utf-8 (e.g. {text!r}), but the catalog entry reads encoding "
            f"{encoding!r}"
        )
    lines = _first_lines(path, encoding, sample_lines)
    sep, rows, skip = _separator(lines)
    expected = load_args.get("sep", load_args.get("delimiter", ","))
    header = lines[skip] if len(lines) > skip else ""
    one_field = expected in SEPARATORS and len(header.split(expected)) == 1
    if sep in SEPARATORS and sep != expected and one_field:
        return (
            f"its fields are separated by {sep!r}, but the catalog entry reads "
            f"sep {expected!r}"
        )
    fields = _number_fields(rows)
    decimal, thousands = load_args.get("decimal", "."), load_args.get("thousands")
    grouped = _THOUSANDS.get(thousands) if thousands else None
    points = [
        f
        for f in fields
        if _DECIMAL_POINT.match(f) and not (grouped and grouped.match(f))
    ]
    commas = [
        f
        for f in fields
        if _DECIMAL_COMMA.match(f) and not (grouped and grouped.match(f))
    ]
    if decimal == "," and points and not commas:
        return (
            f"its numbers are written with a decimal point (e.g. {points[0]!r}), but "
            "the catalog entry reads decimal ','"
        )
    if decimal == "." and sep != "," and commas and not points:
        return (
            f"its numbers are written with a decimal comma (e.g. {commas[0]!r}), but "
            "the catalog entry reads decimal '.'"
        )
    return ""


PLAIN_NUMBER = re.compile(
    r"^[+\-\u2212]?(\d+([.,]\d*)?|[.,]\d+)([eE][+\-\u2212]?\d+)?$"
)


def _sample_fields(path: Path, dialect: dict[str, Any], n_rows: int) -> list[list[str]]:
    """The file's first rows after `skiprows`, the header line included, as text."""
    import pandas as pd

    args = {k: dialect[k] for k in ("sep", "encoding", "skiprows") if k in dialect}
    if args.get("sep") == WHITESPACE:
        args["engine"] = "python"
    sample = pd.read_csv(
        path,
        header=None,
        nrows=n_rows,
        dtype=str,
        keep_default_na=False,
        skipinitialspace=True,
        **args,
    )
    return [[str(f).strip() for f in row] for row in sample.to_numpy().tolist()]


def headerless_width(
    path: Path, dialect: dict[str, Any], sample_rows: int = 200
) -> int:
    """The number of columns of a file whose first line is a row of values, not column
    names (UCI's `adult.data`): every column whose values are numbers has a number on
    the first line too; 0 for a file with a header. (A header names its columns; a
    file of text columns only cannot tell, and is read with a header.)"""
    if is_typed(path) or "header" in dialect:
        return 0
    rows = _sample_fields(path, dialect, sample_rows)
    if len(rows) < 6:
        return 0
    first, rest = rows[0], rows[1:]
    numeric = []
    for j in range(len(first)):
        values = [row[j] for row in rest if j < len(row) and row[j]]
        if len(values) >= 5 and all(PLAIN_NUMBER.match(v) for v in values):
            numeric.append(j)
    if numeric and all(PLAIN_NUMBER.match(first[j]) for j in numeric):
        return len(first)
    return 0


def headerless_dialect(dialect: dict[str, Any], width: int) -> dict[str, Any]:
    """The dialect of a file without a header: its columns named column_1, column_2..."""
    return {
        **dialect,
        "header": None,
        "names": [f"column_{j + 1}" for j in range(width)],
    }


def header_below(
    path: Path, dialect: dict[str, Any], names: list[str], max_lines: int = 10
) -> int:
    """How many lines below the first the header is, when the columns the user named
    are not on the first line but all are on a later one (a line of codes such as
    `X1,X2,...,Y` above the names, as two-row headers are saved); 0 otherwise."""
    if is_typed(path) or not names or "header" in dialect:
        return 0
    rows = _sample_fields(path, dialect, max_lines)
    if rows and set(names) <= set(rows[0]):
        return 0
    for offset, row in enumerate(rows[1:], start=1):
        if set(names) <= set(row):
            return offset
    return 0


TAIL_BYTES = 1 << 16  # the end of a file read to see whether its last row is whole


def cut_short(path: Path, read_args: dict[str, Any], width: int) -> str:
    """What shows that a CSV ends in the middle of a row ('' if nothing): its last
    line has no line end and fewer fields than the header's `width`, as a file still
    being written (or copied while it was) ends. pandas reads such a row with its
    last fields missing, and a number cut short (`21.` of `21.8`) as a number. Plain
    files only; a last line holding a quote is not judged (it may end a field that
    spans lines)."""
    tail = _plain_tail(path, read_args)
    if tail is None or not tail.strip() or tail.endswith((b"\n", b"\r")):
        return ""
    encoding = str(read_args.get("encoding") or "utf-8")
    last = tail.rsplit(b"\n", 1)[-1].decode(encoding, errors="replace")
    sep = str(read_args.get("sep", ","))
    # blanks or a DOS end-of-file mark (Ctrl-Z) after the last line end: no row
    if not last.strip(" \t\x1a") or str(read_args.get("quotechar", '"')) in last:
        return ""
    fields = last.split(sep) if len(sep) == 1 else re.split(sep, last.strip())
    if len(fields) >= width:
        return ""
    return (
        f"it ends in the middle of a row: its last line has no line end and holds "
        f"{len(fields)} of the header's {width} fields ({last[:60]!r}), as a file "
        "still being written or cut short does; read it once it is whole"
    )


EOF_MARK = "\x1a"  # DOS's end-of-file mark (Ctrl-Z), after the last line of old exports


def eof_marks(path: Path, read_args: dict[str, Any]) -> int:
    """0 unless a plain file ends with a DOS end-of-file mark (Ctrl-Z after its last
    line end, as DOS-era and some Windows tools write); then the number of marks in
    the whole file. pandas reads the mark as a last row (an entity named by it) and
    every column of numbers in front of it as text."""
    tail = _plain_tail(path, read_args)
    if tail is None or tail.rsplit(b"\n", 1)[-1].strip(b" \t\r") != EOF_MARK.encode():
        return 0
    with path.open("rb") as handle:
        return sum(
            block.count(EOF_MARK.encode())
            for block in iter(lambda: handle.read(1 << 24), b"")
        )


def _plain_tail(path: Path, read_args: dict[str, Any]) -> bytes | None:
    """The last TAIL_BYTES of a plain local file, to judge how it ends; None for a
    compressed or UTF-16 file (its bytes are not its lines), or no file."""
    encoding = str(read_args.get("encoding") or "utf-8")
    compressed = path.suffix.lower() in (*_DECOMPRESS, ".zip")
    if compressed or "16" in encoding or not path.is_file():
        return None
    with path.open("rb") as handle:
        handle.seek(max(0, path.stat().st_size - TAIL_BYTES))
        return handle.read()


def first_row_line(read_args: dict[str, Any]) -> int:
    """The file line of the first row `read_csv` returns with these arguments: after
    the `skiprows` lines and the header line (none with `header: null`)."""
    skipped = read_args.get("skiprows") or 0
    if not isinstance(skipped, int):
        raise ValueError(
            f"skiprows {skipped!r} is not a number of lines: the rows' lines cannot "
            "be counted"
        )
    return skipped + (0 if read_args.get("header", "infer") is None else 1) + 1
