"""`kedro draft-use-case`: profile a user's table and write a use case that runs as written.

For an entity table the profile decides, column by column, what each one is
(categorical with its levels, numeric with its range, or set aside: constant,
id-like, free text, a likely leak of the label) and writes
`conf/base/parameters_<name>.yml` and `conf/base/catalog_<name>.yml`, with a
comment on every choice. For an order log it maps the columns, checks the
dates and amounts, and picks cutoffs the log can support. Nothing here runs a
model; `kedro run --namespaces=<name>` does.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import difflib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from kedro.io import DatasetError
from sklearn.metrics import roc_auc_score

from risk_segments.dialect import (
    PLAIN_NUMBER,
    FileShapeError,
    csv_dialect,
    date_in_name,
    dialect_mismatch,
    first_row_line,
    header_below,
    headerless_dialect,
    headerless_width,
    is_json,
    is_parquet,
    is_typed,
    is_workbook,
    json_load_args,
    number_marks,
    open_bytes,
    relative_month_names,
)
from risk_segments.modeling.btyd import BTYD_RANGES
from risk_segments.modeling.segmentation import MAX_LEVELS
from risk_segments.schema import (
    COMMON_CURRENCIES,
    DURATION,
    MAGNITUDE,
    SHEET_ERRORS,
    InvalidInputError,
    amount_codes,
    as_text,
    date_format_of,
    days_before,
    index_as_columns,
    label_codes,
    label_value_set,
    numbers_from_text,
    present_values,
    read_dates,
    shape_unit,
    unit_numbers,
    unit_of,
    with_column,
)

NA_TOKENS = [
    "",
    " ",
    "NA",
    "N/A",
    "n/a",
    "na",
    "NaN",
    "nan",
    "null",
    "NULL",
    "None",
    "-",
    "?",
    "\\N",  # NULL as MySQL's SELECT ... INTO OUTFILE and Postgres' COPY write it
    *SHEET_ERRORS,  # a spreadsheet's formula errors: no value (#N/A is pandas' own)
]
POSITIVE_WORDS = (
    "yes",
    "y",
    "ja",  # German, Dutch, Scandinavian exports
    "oui",
    "sí",
    "si",
    "sim",
    "true",
    "t",
    "1",
    "positive",
    "churn",
    "churned",
    "bad",
    "fraud",
    # the risk event as churn and credit tables name it (Kaggle's BankChurners writes
    # 'Attrited Customer' / 'Existing Customer'); the other value names no event
    *("left", "exited", "attrited", "attrited customer", "lapsed"),
    *("cancelled", "canceled", "default", "defaulted", "charged off", "delinquent"),
)
MAX_LISTED_LEVELS = 50  # more levels than this: any text is accepted (levels: null)
MIN_LABELS = 30  # labeled rows of each kind a drafted table needs
MIN_SHARE = 0.01  # a one-value column blank in under 1% (or over 99%) of rows: constant
# a column of numbers may hold up to 10% text that stands for none, in at most 3
# spellings without a digit ('unknown', 'n.v.', '#DIV/0!')
WORD_SHARE = 0.10
WORD_SPELLINGS = 3
MAX_WORDS = 10  # any text under 1% of a column of numbers, if in at most 10 spellings
FREE_TEXT_LEVELS = 1000  # text with more distinct values than this (and than half the rows) is set aside
SNAPSHOT_ROWS = 5  # a --date column needs this many rows per date on average
LEAK_AUC = 0.99  # one column alone ranking the label this well is a likely leak
LEAK_ROWS = 200_000  # labeled rows the leak check reads (a sample of larger tables)
NAME_RULE = re.compile(r"^[a-z][a-z0-9_]{0,62}$")


class DraftError(ValueError):
    """The table or the options cannot make a use case; the message says why and what to do."""


@dataclass
class ColumnChoice:
    """What the draft makes of one column, and why (written as a comment)."""

    name: str
    role: str  # categorical | numeric | set_aside
    note: str
    levels: list[str] | None = None
    bounds: list[float | None] = field(default_factory=lambda: [None, None])
    skewed: bool = False
    code: MissingCode | None = None  # a value that stands for none (read as missing)
    words: list[str] = field(default_factory=list)  # text that stands for none
    # a column of dates read as days before the snapshot: its format
    dates: str | None = None
    unit: str | None = None  # numbers written with a unit ("8.3 GB"): the unit dropped
    infinite: int = 0  # rows holding inf or -inf (a ratio divided by zero upstream)


# --------------------------------------------------------------------------- reading


def read_table(
    path: Path, text_columns: list[str], dialect: dict[str, str] | None = None
) -> pd.DataFrame:
    """A CSV (blank strings and the usual NA tokens read as missing; separator, decimal
    mark and encoding as `csv_dialect` found them) or a parquet file."""
    if not path.exists():
        raise DraftError(f"--table: no file at '{path}'")
    if path.suffix.lower() in OTHER_WORKBOOKS and (kind := _named_workbook(path)):
        raise DraftError(
            f"--table: '{path.name}' is {kind}; save it as .xlsx (or the sheet as CSV) "
            "and draft that file"
        )
    if is_workbook(path):
        from risk_segments.datasets.excel_table_dataset import EVERY_SHEET, read_sheet

        try:
            first = read_sheet(path, None, text_columns)
        except DatasetError as err:
            raise DraftError(f"--table: {err}") from err
        if len(first.attrs["sheets"]) > 1:  # a sheet per month with the same columns?
            with contextlib.suppress(DatasetError):
                return read_sheet(path, EVERY_SHEET, text_columns)
        return first
    if is_parquet(path):  # an id the file was indexed by comes back as a column
        return index_as_columns(pd.read_parquet(path))
    if is_json(path):
        from risk_segments.datasets.json_table_dataset import json_records

        try:
            return json_records(path, json_load_args(path, text_columns))
        except (ValueError, DatasetError) as err:
            raise DraftError(f"--table: '{path}' is not readable JSON: {err}") from err
    from risk_segments.datasets.csv_table_dataset import table_rows, whole_rows

    def read(args: dict[str, Any]) -> pd.DataFrame:
        # blank lines as empty rows, as the catalog entry reads them (file lines kept)
        return pd.read_csv(path, skip_blank_lines=False, **args)

    try:
        args = csv_load_args(text_columns, dialect)
        table, left_out = table_rows(whole_rows(read, args, path), args)
        table.attrs["left_out"] = left_out  # said by the draft, as the runs log them
        return table
    except (UnicodeDecodeError, pd.errors.ParserError) as err:
        raise DraftError(f"--table: '{path}' is not a readable CSV: {err}") from err
    except DatasetError as err:  # named with its path
        raise DraftError(f"--table: {err}") from err


OTHER_WORKBOOKS = (".xls", ".ods")  # formats openpyxl does not read


def _named_workbook(path: Path) -> str:
    """What a file named .xls or .ods holds, if not text: many "export to Excel"
    buttons write a CSV or tab-separated text named .xls, which is read as the text it
    is ('' then); a real old workbook or an HTML page is named."""
    with path.open("rb") as file:
        start = file.read(512)
    if start.startswith((b"\xd0\xcf\x11\xe0", b"PK\x03\x04")):
        return "a workbook in an older or other format"
    if b"<" in start[:64] and re.search(rb"<(html|table|\?xml)", start, re.IGNORECASE):
        return "an HTML or XML page named as a workbook (as some exports write them)"
    return ""


def file_dialect(path: Path) -> dict[str, Any]:
    """`csv_dialect`, with a file that is no one table named as the draft's error."""
    try:
        return csv_dialect(path)
    except FileShapeError as err:
        raise DraftError(f"--table: {err}") from err


def left_out_notes(table: pd.DataFrame) -> list[str]:
    """What reading the file left out (empty rows, a closing sum line), as notes."""
    from risk_segments.datasets.csv_table_dataset import LEFT_OUT

    return [
        f"{len(lines)} row(s) {LEFT_OUT[why]} are left out (file lines {lines[:5]}); "
        "every run leaves them out and logs it"
        for why, lines in table.attrs.get("left_out", {}).items()
    ]


def located_header(
    path: Path, dialect: dict[str, Any], names: list[str | None]
) -> tuple[dict[str, Any], list[str]]:
    """The dialect with the file's header found, and a note on what was done: a file
    whose first line is values gets its columns named column_1, column_2...; a header
    below a line of codes (`X1,X2,...`, a two-row header saved to CSV) is read from
    its own line."""
    if width := headerless_width(path, dialect):
        return headerless_dialect(dialect, width), [
            f"the file has no header line (its first line holds values): its {width} "
            f"columns are named column_1 ... column_{width}"
        ]
    below = header_below(path, dialect, [n for n in names if n])
    if not below:
        return dialect, []
    skip = dialect.get("skiprows", 0) + below
    return {**dialect, "skiprows": skip}, [
        f"the header is line {skip + 1}: the options' columns are named there, not on "
        f"line {skip + 1 - below}; the line(s) above it are left out (load_args skiprows)"
    ]


def _sheet_notes(path: Path, table: pd.DataFrame) -> list[str]:
    """What the draft read of a workbook: which sheet, and where its header was (or
    that a file named as an old workbook is text, read as a CSV)."""
    if not path.is_dir() and path.suffix.lower() in OTHER_WORKBOOKS:
        return [
            f"'{path.name}' is text, not a workbook (as many 'export to Excel' buttons "
            "write it): read as a CSV"
        ]
    if path.is_dir() or not is_workbook(path):
        return []
    sheets = table.attrs["sheets"]
    notes = [
        f"read the {len(sheets)} sheets {sheets} as one table (they share their "
        'columns: a sheet per month?); `sheet: "*"` in the catalog entries reads every '
        "sheet, a sheet's name reads only that one"
        if table.attrs.get("every_sheet")
        else f"read the sheet {sheets[0]!r}"
        + (
            f", the first of {sheets} (the others have other columns): set `sheet:` in "
            "the catalog entries to read another"
            if len(sheets) > 1
            else ""
        )
    ]
    header = table.attrs.get("header_row", 1)
    if header > 1:
        notes.append(
            f"the table's header is row {header} of the sheet: the {header - 1} row(s) "
            "above it (a title?) are not part of it"
        )
    return notes


def zero_led_columns(
    paths: list[Path], table: pd.DataFrame, dialect: dict[str, Any]
) -> list[str]:
    """The columns of a CSV that pandas read as integers but whose text has leading
    zeros (a zip code `01984` read as 1984): they are read as text instead."""
    if is_typed(paths[0]):  # parquet, JSON, workbooks keep their text as text
        return []
    whole = [
        c
        for c in table.columns
        if pd.api.types.is_integer_dtype(table[c])
        or (
            pd.api.types.is_float_dtype(table[c])
            and bool((table[c].dropna() % 1 == 0).all())
        )
    ]
    if not whole:
        return []
    args = {**csv_load_args([], dialect), "dtype": str, "usecols": whole}
    text = pd.concat([pd.read_csv(p, **args) for p in paths], ignore_index=True)
    return [c for c in whole if zero_led(text[c]) is not None]


def _line_ids(path: Path, files: FolderFiles | None, date: str | None) -> str:
    """The column that names the rows of a table without --id: their line in the file
    (a CSV file of one row per entity only)."""
    if files or is_typed(path):
        kind = "folder" if files else f"{path.suffix} file"
        raise DraftError(
            f"--id: a {kind} has no lines to name its rows by; pass its id column"
        )
    if date:
        raise DraftError(
            f"--date '{date}': a table of one row per entity and date needs --id (the "
            "entity's column): without it the rows of one entity cannot be followed"
        )
    return "line"


def free_name(name: str, columns: Any) -> str:
    """`name`, or name_2, name_3... when the table has a column of that name."""
    taken, out, n = {str(c) for c in columns}, name, 1
    while out in taken:
        n += 1
        out = f"{name}_{n}"
    return out


def csv_load_args(
    text_columns: list[str], dialect: dict[str, str] | None = None
) -> dict[str, Any]:
    """How the draft and the catalog entry it writes read a CSV: ids stay text; the
    file's own separator, decimal mark, thousands separator and encoding."""
    return {
        "dtype": {c: "str" for c in text_columns},
        "na_values": NA_TOKENS,
        "keep_default_na": True,
        "skipinitialspace": True,
        **(dialect or {}),
    }


def repeated_headers(path: Path, dialect: dict[str, Any]) -> list[str]:
    """Notes for header names the file repeats (pandas reads the second 'x' as 'x.1',
    and every run reads it so)."""
    if is_typed(path):
        return []
    args = {k: dialect[k] for k in ("sep", "encoding", "skiprows") if k in dialect}
    # as written: a column named 'null' or 'NA' is a name, not a missing one; blank
    # names are each read as 'Unnamed: <position>', never as a repeat
    header = pd.read_csv(
        path, header=None, nrows=1, dtype=str, na_filter=False, **args
    ).iloc[0]
    counts = header[header.str.strip() != ""].value_counts()
    return [
        f"{name!r} heads {n} columns: read as {name!r}, "
        + ", ".join(repr(f"{name}.{k}") for k in range(1, n))
        + " (rename them in the file to keep them apart)"
        for name, n in counts[counts > 1].items()
    ]


def as_in_table(table: pd.DataFrame, column: str | None) -> str | None:
    """The table's column an option names, spaces around the name and case aside (a
    header written `Churn Flag ` is found as `Churn Flag`, `customer id` as `Customer
    ID`) when one column is so named; the option itself otherwise."""
    if column is None or column in table.columns:
        return column
    for written in (str.strip, lambda name: name.strip().casefold()):
        same = [c for c in table.columns if written(str(c)) == written(column)]
        if len(same) == 1:
            return same[0]
    return column


def require_column(
    table: pd.DataFrame, column: str, option: str, headerless: bool = False
) -> None:
    """Stop with the closest column names when an option names a column the table lacks
    (for a file without a header: the names it was given, with their first values)."""
    if column not in table.columns and headerless:
        named = [c for c in table.columns if str(c).startswith("column_")]
        preview = "; ".join(
            f"{c}: {', '.join(map(str, table[c].dropna().unique()[:3]))}"
            for c in named[:40]
        )
        raise DraftError(
            f"{option} '{column}': the file has no header line (its first line holds "
            f"values), so its columns are named column_1 ... column_{len(named)}; "
            f"pass those names. Its columns and first values: {preview}"
        )
    if column not in table.columns:
        close = difflib.get_close_matches(column, [str(c) for c in table.columns], n=3)
        hint = f"; did you mean {close}?" if close else ""
        raise DraftError(
            f"{option} '{column}' is not a column of the table{hint} "
            f"(columns: {[str(c) for c in table.columns][:40]})"
        )


def check_name(name: str, conf: Path, force: bool) -> None:
    """A use-case name is a Python-style identifier that no configuration uses yet."""
    if not NAME_RULE.match(name):
        raise DraftError(
            f"--name '{name}': use lower-case letters, digits and underscores, "
            "starting with a letter (it becomes the Kedro namespace)"
        )
    existing = [
        p
        for p in (conf / f"parameters_{name}.yml", conf / f"catalog_{name}.yml")
        if p.exists()
    ]
    declared = [
        p
        for p in conf.glob("parameters*.yml")
        if p not in existing
        and re.search(rf"(?m)^{re.escape(name)}:\s*$", p.read_text())
    ]
    if (existing or declared) and not force:
        found = [str(p) for p in existing + declared]
        raise DraftError(
            f"use case '{name}' exists already ({found}); choose another --name, "
            "or pass --force to overwrite its files"
        )
    if declared:
        raise DraftError(
            f"'{name}' is declared in {[str(p) for p in declared]}, not in a file this "
            "command wrote; choose another --name"
        )


# --------------------------------------------------------------------------- label


def positive_value(labels: pd.Series, column: str, positive: str | None) -> str | None:
    """The value that means positive (None when the label is 0/1 or boolean already).
    Case and surrounding spaces do not make another value ('Yes', 'yes ', 'YES')."""
    counts = labels.dropna().astype(str).str.strip().value_counts()
    spellings = sorted(counts.index)
    lowered = {v.lower() for v in spellings}
    seen = sorted(  # each value as it is most often written
        {v.lower(): v for v in counts.sort_values(kind="stable").index}.values()
    )
    if len(lowered) > 2:
        numeric = numbers_from_text(pd.Series(spellings, dtype="string")).notna().all()
        raise DraftError(
            f"--label '{column}' holds {len(lowered)} values "
            f"({counts.head(12).to_dict()}): "
            + (
                "a number: give --positive-above N (positive above N, at or below it "
                "negative), or "
                if numeric
                else ""
            )
            + "give the positive one(s) with --positive and the negative one(s) with "
            "--negative; any other value is then unlabeled (an outcome not known yet)"
        )
    if len(lowered) != 2:
        raise DraftError(
            f"--label '{column}' must hold two values (blank for unlabeled rows); "
            f"found {len(lowered)}: {spellings[:10]}"
        )
    if positive is not None:
        if positive.strip().lower() not in lowered:
            raise DraftError(
                f"--positive '{positive}' is not a value of '{column}' ({seen})"
            )
        return None if lowered <= {"0", "1"} and positive.strip() == "1" else positive
    if (
        lowered <= {"0", "1"}
        or lowered <= {"true", "false"}
        or lowered <= {"0.0", "1.0"}
    ):
        return None
    guesses = [v for v in seen if v.lower() in POSITIVE_WORDS]
    codes = {v for v in lowered if PLAIN_NUMBER.match(v)}
    if len(codes) == 2 and not lowered <= {"-1", "1", "+1"}:  # 1/2: either may be bad
        raise DraftError(
            f"--label '{column}' holds the codes {seen}: say which one is positive with "
            "--positive (numbers other than 0/1 or -1/1 name no side)"
        )
    if len(guesses) == 1:
        return guesses[0]
    raise DraftError(
        f"--label '{column}' holds {seen}: say which one is positive with --positive"
    )


def label_values(
    labels: pd.Series,
    column: str,
    positive: str | list[str] | None,
    negative: str | list[str] | None = None,
) -> tuple[str | list[str] | None, str | list[str] | None]:
    """The label's positive value(s), and its negative one(s) when the column holds
    more than two values (a loan status: "Charged Off" positive, "Fully Paid"
    negative, "Current" no outcome yet, so unlabeled). Two values: `positive_value`."""
    positives = [positive] if isinstance(positive, str) else list(positive or [])
    negatives = [negative] if isinstance(negative, str) else list(negative or [])
    if not negatives and len(positives) <= 1:
        return positive_value(labels, column, positives[0] if positives else None), None
    counts = labels.dropna().astype(str).str.strip().value_counts()
    found = {v.lower() for v in counts.index}
    if not positives or not negatives:
        raise DraftError(
            f"--label '{column}': give the positive value(s) with --positive and the "
            f"negative one(s) with --negative (values: {counts.head(12).to_dict()})"
        )
    unknown = [v for v in positives + negatives if v.strip().lower() not in found]
    both = label_value_set(positives) & label_value_set(negatives)
    if unknown or both:
        raise DraftError(
            f"--label '{column}': "
            + (
                f"no value {unknown}"
                if unknown
                else f"{sorted(both)} both positive and negative"
            )
            + f" (values: {counts.head(12).to_dict()})"
        )
    return (
        positives[0] if len(positives) == 1 else positives,
        negatives[0] if len(negatives) == 1 else negatives,
    )


# --------------------------------------------------------------------------- columns


def _numbers(
    values: pd.Series, marks: dict[str, str] | None = None
) -> pd.Series | None:
    """The column as numbers if (almost) every non-missing value reads as one (with
    the file's decimal mark and thousands separator; currency and % signs dropped), or
    all but a few words that stand for none (`none_words`)."""
    if pd.api.types.is_bool_dtype(values):
        return None
    if pd.api.types.is_numeric_dtype(values):
        return values.astype(float)
    text = values.dropna().astype(str).str.strip()
    text = text[text != ""]
    if text.empty:
        return None
    marks = marks or {}
    if numbers_from_text(text.iloc[:2000], **marks).notna().mean() < 1 - WORD_SHARE:
        return None  # a column of words fails on its first rows
    numbers = numbers_from_text(values, **marks).astype(float)
    if numbers.notna().sum() >= 0.99 * len(text):
        return numbers
    words = none_words(values, numbers)
    few = len(words) <= WORD_SPELLINGS and not any(re.search(r"\d", w) for w in words)
    enough = numbers.notna().sum() >= (1 - WORD_SHARE) * len(text)
    return numbers if few and enough else None


def none_words(values: pd.Series, numbers: pd.Series) -> list[str]:
    """The text, as written, of a column's values that do not read as numbers
    ('unknown' among ages): read as missing if the draft lists it (`missing_codes`).
    Only the values that are no number are read as text (a column of numbers has none)."""
    if pd.api.types.is_numeric_dtype(values):
        return []
    unread = numbers.isna().to_numpy() & values.notna().to_numpy()
    text = values[unread].astype("string").str.strip()
    return sorted(text[text != ""].unique().tolist())


def _bounds(values: np.ndarray) -> list[float | None]:
    if not len(values):
        return [None, None]
    low = 0 if values.min() >= 0 else None
    is_share = (
        values.min() >= 0
        and values.max() <= 1
        and not np.all(values == np.round(values))
    )
    return [low, 1 if is_share else None]


def _fmt(value: float) -> str:
    return f"{value:,.4g}" if abs(value) < 1e6 else f"{value:,.0f}"


_DATE_LIKE = re.compile(r"^\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}([ T].*)?$")


def _as_dates(text: pd.Series) -> str | None:
    """How a text column reads as dates ("ISO 8601" or its format), or None if it
    is not a column of dates."""
    if text.empty or text.str.match(_DATE_LIKE).mean() < 0.99:
        return None
    try:
        fmt, _ = date_format_of(text)
    except ValueError:
        return None
    return fmt or "ISO 8601"


def _one_value(name: str, values: pd.Series) -> ColumnChoice:
    """A column of at most one value: empty, constant, or a flag (the value where it
    holds, blank elsewhere: kept, the blank is its other level)."""
    present = float(values.notna().mean())
    if present == 0:
        return ColumnChoice(name, "set_aside", "missing in every row")
    if not MIN_SHARE <= present <= 1 - MIN_SHARE:
        return ColumnChoice(name, "set_aside", "constant (1 distinct value)")
    level = as_text(values).dropna().astype(str).str.strip().iloc[0]
    return ColumnChoice(
        name,
        "categorical",
        f"one value ({level!r}) in {present:.1%} of rows, else blank: a flag",
        levels=[level],
    )


# a column of integers whose name ends in one of these words is a code, not a quantity
# (store_id, region_code, product_sku); so is one that names a postal area and ends as
# one does (customer_zip_code_prefix; `code_name`)
CODE_WORDS = frozenset(
    {"id", "code", "key", "sku", "ean", "upc", "isbn", "mcc", "naics"}
)
POSTAL_WORDS = frozenset({"zip", "zipcode", "postcode", "postal", "plz", "cep"})
# digits written with a leading zero in this share of a column's values: a code
ZERO_LED_SHARE = 0.01


def name_words(name: str) -> list[str]:
    """A column name's words, lower-cased: `StoreID`, `store_id`, `Store ID` all give
    ['store', 'id']."""
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", " ", name)
    return [w for w in re.split(r"[^A-Za-z0-9]+", spaced.lower()) if w]


def code_name(name: str) -> bool:
    """A name that says its integers are codes (a store, a region, a postal area): its
    last word is a code word, or it names a postal area and ends so (`zip_code_prefix`;
    not `zipcode_distance_km`, a distance)."""
    words = name_words(name)
    return bool(words) and (
        words[-1] in CODE_WORDS
        or (
            any(w in POSTAL_WORDS for w in words)
            and words[-1] in POSTAL_WORDS | {"prefix", "area", "district"}
        )
    )


def zero_led(values: pd.Series) -> str | None:
    """A value written with a leading zero (`01984`, `007`), when at least 1% of the
    column's values are: digits that are a code (a zip code, a branch), kept as text.
    None for any other column."""
    if pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
        return None
    text = values.dropna().astype(str).str.strip()
    led = text[text.str.fullmatch(r"0\d+")]
    return led.iloc[0] if len(text) and len(led) >= ZERO_LED_SHARE * len(text) else None


def _nested(values: pd.Series) -> str | None:
    """'records' or 'lists' for a column of nested values (a parquet struct or list
    column, as Spark and BigQuery export them), else None."""
    if values.dtype != object:
        return None
    sample = values.dropna().head(200)
    if sample.map(lambda v: isinstance(v, dict)).any():
        return "records"
    if sample.map(lambda v: isinstance(v, (list, tuple, np.ndarray))).any():
        return "lists"
    return None


def profile_column(
    values: pd.Series, n_rows: int, marks: dict[str, str] | None = None
) -> ColumnChoice:
    """Categorical, numeric or set aside, with the reason as a comment (`marks`: the
    file's decimal mark and thousands separator, for numbers written as text). Digits
    written with leading zeros, and integers whose name calls them a code or id, are
    categories: a zip code or a store number is no quantity to average or segment on."""
    name = str(values.name)
    if nested := _nested(values):  # records, lists: no level or number to read
        return ColumnChoice(
            name,
            "set_aside",
            f"nested values ({nested}, e.g. {str(values.dropna().iloc[0])[:60]}): not "
            "read; export its parts as columns of their own to use them",
        )
    return _flat_column(values, n_rows, marks)


def _flat_column(
    values: pd.Series, n_rows: int, marks: dict[str, str] | None
) -> ColumnChoice:
    """`profile_column` for a column of plain values."""
    name = str(values.name)
    distinct = values.nunique(dropna=True)
    miss = f"{values.isna().mean():.1%} missing"
    if distinct <= 1:
        return _one_value(name, values)
    led = zero_led(values)
    numbers = None if led else _numbers(values, marks)
    if numbers is None:
        text = _text_column(name, values, n_rows, miss, marks)
        why = f"written with leading zeros ('{led}'): a code, read as text"
        return _as_code(text, why) if led else text
    known = numbers.dropna().to_numpy()
    is_integer = bool(np.all(known == np.round(known)))
    if is_integer and distinct > 2 and code_name(name):
        return _as_code(
            _text_column(name, values, n_rows, miss, marks),
            "integers named as a code: a category, not a quantity (list it under "
            "numeric if it counts or measures something)",
        )
    if is_integer and distinct == values.notna().sum() == n_rows:
        return ColumnChoice(
            name,
            "set_aside",
            f"id-like: a different value in each of the {n_rows:,} rows",
        )
    if is_integer and distinct <= 2:  # an integer code with two values: a category
        levels = sorted({str(int(v)) for v in known})
        return ColumnChoice(
            name, "categorical", f"integer-coded, {miss}", levels=levels
        )
    finite = numbers.to_numpy()[np.isfinite(numbers.to_numpy())]
    code = missing_code(finite)
    if code is not None:  # the profile is of the values that are values
        finite = finite[finite != code.value]
    skew = float(pd.Series(finite).skew()) if len(finite) > 2 else 0.0
    words = none_words(values, numbers)
    blanks = int(numbers.isna().sum() - values.isna().sum())
    note = f"{_fmt(finite.min())} to {_fmt(finite.max())}, {miss}"
    if len(words) > MAX_WORDS:  # not listed: the run names them, the user decides
        note += (
            f" ({blanks} not numbers, in {len(words)} spellings, e.g. {words[:3]}: "
            "list them under missing_codes to read them as missing)"
        )
    elif words:
        note += f" ({blanks} blank or written as text: {', '.join(map(repr, words))})"
    elif blanks > 0:
        note += f" ({blanks} blank)"
    return ColumnChoice(
        name,
        "numeric",
        note,
        bounds=_bounds(finite),
        skewed=finite.min() >= 0 and skew > 1,
        code=code,
        words=words if len(words) <= MAX_WORDS else [],
        infinite=int(np.isinf(numbers.to_numpy()).sum()),
    )


def _as_code(choice: ColumnChoice, why: str) -> ColumnChoice:
    """A code column's choice (a category, or set aside as id-like), saying why."""
    levels = choice.levels
    if levels and all(v.isdigit() for v in levels):  # "2" before "10"
        levels = sorted(levels, key=lambda v: (len(v), v))
    return ColumnChoice(
        choice.name, choice.role, f"{choice.note}; {why}", levels=levels
    )


@dataclass
class MissingCode:
    """A number that stands for 'none' in a numeric column (365243 days employed)."""

    value: float
    share: float
    low: float
    high: float

    def note(self) -> str:
        return (
            f"in {self.share:.1%} of rows, far beyond every other value ({_fmt(self.low)} "
            f"to {_fmt(self.high)}): a code for none, read as missing (delete the line "
            "if it is a real value)"
        )


def _code_text(value: float) -> str:
    return str(int(value)) if value == round(value) else repr(value)


CODE_SHARE = 0.01  # a code for none is held by at least 1% of the rows...
CODE_REACH = 5  # ...and is this many times beyond the largest other value


def missing_code(finite: np.ndarray, min_rows: int = 100) -> MissingCode | None:
    """The column's largest or smallest value when it is a code, not a measurement:
    held by 1-99% of the rows, separated from the other values by more than their
    whole range, and more than 5x the largest of them (999 beside 0-27, 365243 beside
    -15,000-0; not -1 beside 1-871, where the gap is small)."""
    if len(finite) < min_rows:
        return None
    for value in (finite.max(), finite.min()):
        held = finite == value
        share = float(held.mean())
        others = finite[~held]
        if (
            not CODE_SHARE <= share <= 1 - CODE_SHARE
            or len(np.unique(others[:10_000])) < 3
        ):
            continue
        low, high = float(others.min()), float(others.max())
        gap = value - high if value > high else low - value
        if gap > high - low and abs(value) > CODE_REACH * max(abs(low), abs(high)):
            return MissingCode(float(value), share, low, high)
    return None


def _with_unit(
    name: str, text: pd.Series, miss: str, marks: dict[str, str] | None
) -> ColumnChoice | None:
    """Numbers written with one unit ("8.3 GB", "12 months"): numeric, the unit dropped
    by every run (`schema.units`); a value in another unit then stops the run."""
    unit = shape_unit(text, marks) or unit_of(text)
    if unit is None:
        return None
    numbers = unit_numbers(text, unit, **(marks or {}))
    if numbers.isna().any():
        return None
    finite = numbers.to_numpy(dtype=float)
    skew = float(pd.Series(finite).skew()) if len(finite) > 2 else 0.0
    if unit == DURATION:
        written = "durations (h:mm:ss, or m:ss) read as seconds"
    elif unit == MAGNITUDE:
        written = "numbers with K/M/B suffixes (1.2K read as 1,200)"
    else:
        # the unit as written most often, after the numbers or before them (USD 28.65)
        words = text.str.extract(r"([^\W\d_]+)\.?\s*$|^([^\W\d_]+\$?)")
        last = words[0].fillna(words[1]).value_counts().index[0]
        written = f"numbers in {last} (the unit dropped)"
    return ColumnChoice(
        name,
        "numeric",
        f"{written}, {_fmt(finite.min())} to {_fmt(finite.max())}, {miss}",
        bounds=_bounds(finite),
        skewed=bool(finite.min() >= 0 and skew > 1),
        unit=unit,
    )


def _text_column(
    name: str,
    values: pd.Series,
    n_rows: int,
    miss: str,
    marks: dict[str, str] | None = None,
) -> ColumnChoice:
    """A column of text: dates, ids or free text (set aside), else a categorical
    whose levels are written as every run will read them (`as_text`: booleans as
    'true'/'false')."""
    text = as_text(values).dropna().astype(str).str.strip()
    distinct = text.nunique()
    dates = _as_dates(text)
    if dates:  # a signup or last-login date: its age at the snapshot is the feature
        days = days_before(values, dates, None).dropna()
        skew = float(days.skew()) if len(days) > 2 else 0.0
        return ColumnChoice(
            name,
            "numeric",
            f"dates ({dates}): days before the snapshot date, {miss} (pass it as "
            "--date instead if it is the snapshot date)",
            skewed=bool(skew > 1 and days.min() >= 0),
            dates=dates,
        )
    if with_unit := _with_unit(name, text, miss, marks):
        return with_unit
    if distinct == len(text) == n_rows:
        what = "free text" if text.str.contains(" ").mean() > 0.5 else "id-like"
        return ColumnChoice(
            name,
            "set_aside",
            f"{what}: a different value in each of the {n_rows:,} rows",
        )
    if distinct > FREE_TEXT_LEVELS and distinct > 0.5 * n_rows:
        return ColumnChoice(
            name, "set_aside", f"free text: {distinct:,} distinct values"
        )
    levels = sorted(text.unique().tolist()) if distinct <= MAX_LISTED_LEVELS else None
    note = f"{distinct} levels, {miss}" + ("" if levels else " (any text accepted)")
    return ColumnChoice(name, "categorical", note, levels=levels)


def single_column_auc(
    values: pd.Series,
    y: np.ndarray,
    choice: ColumnChoice,
    marks: dict[str, str] | None = None,
) -> float:
    """How well this column alone ranks the label (0.5: not at all), on labeled rows.

    Numeric: the values (missing as the lowest). Categorical: each level's label
    rate, estimated on the other half of the rows (so a many-level column is not
    rewarded for memorising).
    """
    if choice.role == "numeric":
        if choice.dates:
            numbers = days_before(values, choice.dates, None)
        elif choice.unit:
            numbers = unit_numbers(present_values(values), choice.unit, **(marks or {}))
        else:
            numbers = _numbers(values, marks)
        x = numbers.to_numpy(dtype=float)  # missing, and inf (read as missing): lowest
        known = np.isfinite(x)
        x = np.where(known, x, x[known].min() - 1 if known.any() else 0)
        return float(roc_auc_score(y, x))
    text = values.astype("string").fillna("__missing__").to_numpy()
    halves = np.arange(len(y)) % 2
    score = np.empty(len(y))
    for half in (0, 1):
        fit = pd.Series(y[halves != half]).groupby(text[halves != half]).mean()
        score[halves == half] = (
            pd.Series(text[halves == half]).map(fit).fillna(y.mean()).to_numpy()
        )
    return float(roc_auc_score(y, score))


# --------------------------------------------------------------------------- YAML


def q(value: Any) -> str:
    """A YAML scalar: JSON quoting is valid YAML and keeps '0', 'Yes', 'null' as text."""
    return yaml_json(value)


def yaml_json(value: Any) -> str:
    """`value` as JSON, which is YAML, with its letters as written (`"Région"`, not
    `"R\\u00e9gion"`); only characters YAML does not print stay escaped."""
    text = json.dumps(value, ensure_ascii=False)
    return _UNPRINTABLE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


# C1 controls, line and paragraph separators, the byte-order mark, lone surrogates
_UNPRINTABLE = re.compile("[\x7f-\x9f\u2028\u2029\ufeff\ud800-\udfff]")


def key(name: str) -> str:
    """A mapping key, quoted when it is not a plain word."""
    return _plain(name)


YAML_WORDS = {"y", "n", "yes", "no", "on", "off", "true", "false", "null", "none", "~"}


def _plain(item: Any) -> str:
    """A list item: a plain word where YAML reads it as that word, quoted otherwise."""
    if (
        isinstance(item, str)
        and re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", item)
        and item.lower() not in YAML_WORDS
    ):
        return item
    return yaml_json(item)


def flow_list(
    items: list[Any], indent: int, width: int = 92, quote: bool = False
) -> str:
    """`[a, b, c]`, wrapped under `indent` spaces; `quote` quotes every item (levels)."""
    parts = [yaml_json(i) if quote else _plain(i) for i in items]
    lines, line = [], "["
    for i, part in enumerate(parts):
        piece = part + (", " if i < len(parts) - 1 else "]")
        if len(line) + len(piece) > width - indent and line != "[":
            lines.append(line.rstrip())
            line = " " * (indent + 1)
        line += piece
    if not parts:
        line = "[]"
    lines.append(line)
    return "\n".join(lines)


def project_relative(path: Path, project: Path) -> str:
    """The table's path as the catalog should hold it: relative inside the project."""
    resolved = path.resolve()
    try:
        return resolved.relative_to(project.resolve()).as_posix()
    except ValueError:
        return resolved.as_posix()


def today() -> str:
    return dt.date.today().isoformat()


# --------------------------------------------------------------------------- entity tables


@dataclass
class Draft:
    """The two files a draft writes, and what it set aside (printed to the user)."""

    parameters: str
    catalog: str
    summary: list[str]


def _classify(
    table: pd.DataFrame,
    skip: set[str],
    y: np.ndarray,
    labeled: np.ndarray,
    marks: dict[str, str],
) -> tuple[list[ColumnChoice], list[str]]:
    """Each column's role; columns that alone predict the label almost perfectly are set
    aside (judged on up to 200,000 labeled rows: an AUC near 0.99 is known to +-0.001)."""
    choices, leaks = [], []
    rows = np.flatnonzero(labeled)
    if len(rows) > LEAK_ROWS:  # the same rows for every column
        keep = np.sort(
            np.random.default_rng(0).choice(len(rows), LEAK_ROWS, replace=False)
        )
        rows, y = rows[keep], y[keep]
    for column in table.columns:
        if str(column) in skip:
            continue
        choice = profile_column(table[column], len(table), marks)
        if choice.role != "set_aside" and len(rows) > 20 and 0 < y.mean() < 1:
            auc = single_column_auc(table[column].iloc[rows], y, choice, marks)
            if max(auc, 1 - auc) >= LEAK_AUC:
                choice = ColumnChoice(
                    choice.name,
                    "set_aside",
                    f"likely leak: alone it ranks the label with ROC-AUC {max(auc, 1 - auc):.3f}",
                )
                leaks.append(choice.name)
        choices.append(choice)
    return choices, leaks


def _one_row_per_key(table: pd.DataFrame, id_col: str, date: str | None) -> None:
    """An entity table has one row per id (per date with --date): say so before the
    run does, with examples and the likely reason."""
    ids = present_values(table[id_col])
    if ids.isna().any():
        lines = [int(i) + 2 for i in np.flatnonzero(ids.isna().to_numpy())[:5]]
        raise DraftError(
            f"--id '{id_col}': {int(ids.isna().sum()):,} rows have no id (file lines "
            f"{lines}, the header being line 1); every row needs one"
        )
    keys = [id_col, date] if date else [id_col]
    repeated = table.duplicated(keys, keep=False)
    if not repeated.any():
        return
    examples = table.loc[repeated, id_col].astype(str).unique()[:3].tolist()
    hint = (
        "; is it an order log (--kind order_log)?"
        if date
        else "; pass the snapshot date column as --date if the table has one row per "
        "entity and date, or use --kind order_log for one row per order"
    )
    copies = int(table.astype(str).duplicated().sum())  # every column alike
    if copies:  # a join or an export that repeated rows: not another kind of table
        hint = (
            f"; {copies:,} of them are exact copies of another row (a join or an "
            "export that repeated rows?): remove the copies"
            + ("" if copies * 2 >= int(repeated.sum()) else hint)
        )
    raise DraftError(
        f"--id '{id_col}': {int(repeated.sum()):,} rows share an id"
        + (f" and a --date '{date}'" if date else "")
        + f" (e.g. {examples}); an entity table has one row per entity{hint}"
    )


def _shared_dates(dates: pd.Series | None, column: str | None, n_rows: int) -> None:
    """A snapshot date is shared by the rows of one extract (a month-end, a nightly run):
    a column where most rows have a time of their own (`updated_at`) would make the
    newest timestamp the whole test set and the only rows scored. Refuse it, saying why."""
    if dates is None or dates.nunique() * SNAPSHOT_ROWS <= n_rows:
        return
    raise DraftError(
        f"--date '{column}' has {dates.nunique():,} different values in {n_rows:,} rows: "
        "not a snapshot date (one shared by the rows of an extract, such as a month-end), "
        "more like a timestamp per row. Leave --date out (every row is one snapshot), or "
        "give the table a snapshot column (e.g. the month) and pass that"
    )


def _date_format(
    table: pd.DataFrame, column: str | None, option: str
) -> tuple[str | None, str]:
    """The date column's format (None: ISO 8601 or dates already), or a DraftError
    naming the column and the values no format reads."""
    if not column:
        return None, ""
    try:
        return date_format_of(table[column])
    except ValueError as err:
        raise DraftError(f"{option} '{column}': {err}") from err


def _label_lines(
    label: str | None, positive: Any, negative: Any, label_note: str
) -> list[str]:
    """The schema's label lines (none for segments only)."""
    if not label:
        return []
    if positive is None:
        return [f"    label_column: {q(label)}", f"    # {label_note}"]
    if positive == FILLED:
        return [
            f"    label_column: {q(label)}",
            f"    positive_when_filled: true   # {label_note}",
        ]
    if isinstance(positive, Above):
        return [
            f"    label_column: {q(label)}",
            f"    positive_above: {positive:g}   # {label_note}",
        ]
    out = [
        f"    label_column: {q(label)}",
        f"    positive_label: {q(positive)}   # {label_note}",
    ]
    if negative is not None:
        out.append(
            f"    negative_label: {q(negative)}   # any other value of {label}: "
            "no outcome yet, unlabeled"
        )
    return out


def _schema_lines(
    choices: list[ColumnChoice],
    id_col: str,
    label: str | None,
    sides: tuple[str | list[str] | None, str | list[str] | None],
    date: str | None,
    name: str,
    label_note: str,
    columns: Any = (),
) -> list[str]:
    positive, negative = sides  # the label's positive and (optional) negative values
    out = [
        "  schema:",
        f"    source: {name}.raw_table",
        f"    id_column: {q(id_col)}",
    ]
    if date:
        out.append(f"    date_column: {q(date)}")
    else:  # named apart from a column of the table (set aside, or a feature)
        stamp = free_name("snapshot_date", columns)
        out += [
            f"    date_column: {stamp}   # no --date: every row is one snapshot,",
            "    date_in_table: false         # dated with the run's as-of date (parameter as_of)",
        ]
    out += _label_lines(label, positive, negative, label_note)
    out.append(
        "    on_unknown_category: error   # error | warn (a new level is then scored and counted)"
    )
    cats = [c for c in choices if c.role == "categorical"]
    nums = [c for c in choices if c.role == "numeric"]
    out.append(
        "    categorical:                 # name: allowed levels (null: any text)"
        if cats
        else "    categorical: {}"
    )
    for c in cats:
        levels = (
            "null"
            if c.levels is None
            else flow_list(c.levels, 6 + len(key(c.name)) + 2)
        )
        out.append(f"      {key(c.name)}: {levels}   # {c.note}")
    out.append(
        "    numeric:                     # name: [min, max] (null: unbounded on that side)"
        if nums
        else "    numeric: {}"
    )
    for c in nums:
        bounds = (
            "[" + ", ".join("null" if b is None else str(b) for b in c.bounds) + "]"
        )
        out.append(f"      {key(c.name)}: {bounds}   # {c.note}")
    dated = [c for c in nums if c.dates]
    if dated:
        out.append(
            "    date_features:               # dates read as days before the row's snapshot date"
        )
        out += [
            f"      {key(c.name)}: {'null' if c.dates == 'ISO 8601' else q(c.dates)}"
            for c in dated
        ]
    with_units = [c for c in nums if c.unit]
    if with_units:
        out.append(
            "    units:                       # numbers written with a unit: the word "
            "dropped; K/M/B multiplied out; h:mm:ss in seconds"
        )
        out += [f"      {key(c.name)}: {q(c.unit)}" for c in with_units]
    coded = [c for c in nums if c.code is not None or c.words or c.infinite]
    if coded:
        out.append("    missing_codes:               # values that stand for none")
        out += [_codes_line(c) for c in coded]
    aside = [c for c in choices if c.role == "set_aside"]
    if aside:
        out.append(
            "    drop:                        # set aside: never a feature (move one back by listing it above)"
        )
        out += [f"      - {q(c.name)}   # {c.note}" for c in aside]
    return out


def _codes_line(choice: ColumnChoice) -> str:
    """One column's values that stand for none: a number far beyond the others, text
    in a column of numbers (each read as missing by every run)."""
    codes = (
        ([_code_text(choice.code.value)] if choice.code else [])
        + [q(word) for word in choice.words]
        + ([".inf", "-.inf"] if choice.infinite else [])
    )
    notes = ([choice.code.note()] if choice.code else []) + (
        [
            "text in a column of numbers: read as missing (delete it from the list "
            "if it means a value)"
        ]
        if choice.words
        else []
    )
    if choice.infinite:  # pandas writes a division by zero as inf
        notes.append(
            f"infinite in {choice.infinite:,} rows (a ratio divided by zero?): read "
            "as missing"
        )
    return f"      {key(choice.name)}: [{', '.join(codes)}]   # {'; '.join(notes)}"


def _date_labels(choices: list[ColumnChoice]) -> list[str]:
    """Readable names for dates read as days ("days since Signup Date") and durations
    read as seconds ("Session Duration (seconds)"), so that a segment is "low days
    since Signup Date", not "low Signup Date"."""
    named = [
        (c.name, f"days since {c.name}" if c.dates else f"{c.name} (seconds)")
        for c in choices
        if c.role == "numeric" and (c.dates or c.unit == DURATION)
    ]
    if not named:
        return []
    return [
        "",
        "  feature_labels:                # how reports and segment names call them",
        *[f"    {key(name)}: {q(label)}" for name, label in named],
    ]


STALE_DAYS = 30  # a table whose newest date is older than this: an old extract?


def _old_extract(
    table: pd.DataFrame, choices: list[ColumnChoice], name: str
) -> list[str]:
    """A table without --date is dated by the run's as-of date (today): its dates count
    their days from it. When the newest date in the table is well before today the
    table is likely an older extract, and every age would be off by the difference."""
    dated = [c for c in choices if c.role == "numeric" and c.dates]
    if not dated:
        return []
    newest = max(
        read_dates(table[c.name], None if c.dates == "ISO 8601" else c.dates).max()
        for c in dated
    )
    stale = (pd.Timestamp(today()) - newest).days
    if pd.isna(newest) or stale <= STALE_DAYS:
        return []
    return [
        f"the newest date in {[c.name for c in dated]} is {newest.date()}, {stale:,} days "
        "ago; dates count their days from the run's as-of date (today). If the table "
        f"was extracted then, train with: kedro run --namespaces={name} --params "
        f"as_of={newest.date()}"
    ]


def draft_tabular(
    name: str,
    path: Path,
    project: Path,
    id_col: str | None,
    label: str | None,
    positive: str | list[str] | None = None,
    date: str | None = None,
    negative: str | list[str] | None = None,
    above: float | None = None,
) -> Draft:
    """Profile an entity table and write the use case's parameters and catalog entries."""
    files = folder_files(path) if path.is_dir() else None  # monthly snapshot files
    dialect = folder_dialect(files) if files else file_dialect(path)
    header_notes: list[str] = []
    if not files:
        dialect, header_notes = located_header(path, dialect, [id_col, label, date])
    line_column = None if id_col else _line_ids(path, files, date)
    keys = [id_col] if id_col else []
    table = read_source(path, files, dialect, keys)
    if codes := zero_led_columns(files.paths if files else [path], table, dialect):
        keys += codes  # zip codes: '01984' as written, in the draft and every run
        table = read_source(path, files, dialect, keys)
    header_notes += _sheet_notes(path, table)
    file_rows = table.attrs.get("file_rows")  # a folder's rows per file, in order
    typed = is_typed(files.paths[0] if files else path)
    by_month = {} if typed else relative_month_names(list(table.columns))
    if by_month:  # a report pivoted wide: next month's columns are a month later
        table = table.rename(columns=by_month)
        shown = ", ".join(f"{a} -> {b}" for a, b in list(by_month.items())[:3])
        header_notes.append(
            f"{len(by_month)} columns are named by month ({shown}, ...): read by months "
            "before the newest (relative_months in the catalog entries), so next "
            "month's file, a month later, reads as the same features"
        )
    if line_column:  # as the catalog entry's CSVTableDataset numbers the rows
        line_column = free_name(line_column, table.columns)
        first = first_row_line(dialect)  # the file's row positions: empty rows count
        table.insert(0, line_column, first + table.index.to_numpy())
        id_col = line_column
    id_col, label, date = (as_in_table(table, c) for c in (id_col, label, date))
    for column, option in ((id_col, "--id"), (label, "--label"), (date, "--date")):
        if column:
            require_column(table, column, option, headerless="names" in dialect)
    if table.empty:
        raise DraftError(f"--table '{path}' has no rows")
    named_date = _date_from_names(files, table, id_col, date)
    if named_date:  # monthly exports with their month in the name only
        date = named_date
        dated = np.repeat([date_in_name(f.name) for f in files.paths], file_rows)
        table = with_column(
            table, date, dated
        )  # as the entries' date_from_name adds it
        header_notes.append(
            f"the files' names hold their dates ({files.paths[0].name}: "
            f"{date_in_name(files.paths[0].name)}) and their rows repeat the ids: read as "
            f"the snapshot date, column '{date}' (date_from_name in the catalog entries)"
        )
    _one_row_per_key(table, id_col, date)
    if label:
        (positive, negative), labeled, y, label_note = _read_label(
            table[label], label, positive, negative, above
        )
    else:  # no outcome: segments only
        labeled, y, label_note = np.zeros(len(table), dtype=bool), np.zeros(0), ""
    skip = {id_col, *([label] if label else []), *([date] if date else [])}
    marks = number_marks(dialect)
    choices, leaks = _classify(table, skip, y, labeled, marks)
    rate = y.mean() if len(y) else 0.0
    date_format, date_note = _date_format(table, date, "--date")
    dates = read_dates(table[date], date_format) if date else None
    _shared_dates(dates, date, len(table))
    time_split = dates is not None and dates[labeled].nunique() >= 4
    nums = [c.name for c in choices if c.role == "numeric"]
    history, history_notes = (
        _history_lines(table, id_col, dates, choices, labeled, time_split)
        if label
        else ([], [])
    )
    lines = [
        f"# {name}: drafted by `kedro draft-use-case` from {path.name} on {today()}",
        f"# ({len(table):,} rows, {len(table.columns)} columns). Every choice below was read off",
        "# the table and can be edited; anything not written here comes from",
        "# conf/base/use_case_defaults.yml. Run it: kedro run --namespaces=" + name,
        f"{name}:",
        f"  kind: {'tabular' if label else 'segments   # no outcome column: segments only'}",
        *_schema_lines(
            choices,
            id_col,
            label,
            (positive, negative),
            date,
            name,
            label_note,
            table.columns,
        ),
        *(
            [f"    date_format: {q(date_format)}   # {date_note}"]
            if date_format
            else []
        ),
        *(
            [
                f"    number_marks: {yaml_json(marks)}   # numbers written as text "
                "(with a currency or % sign) are read with the file's marks"
            ]
            if marks
            else []
        ),
        *_date_labels(choices),
        *history,
        *_supervised_lines(label, time_split),
        "",
        "  segmentation:                  # label-free segments of all rows",
        f"    features: {flow_list(nums, 14)}   # the numeric features",
        f"    log_features: {flow_list([c.name for c in choices if c.role == 'numeric' and c.skewed], 18)}   # non-negative, long right tail (skew > 1)",
        *_category_lines(choices, nums),
        "",
        "  report:",
        f"    title: {q(name.replace('_', ' ').capitalize() + (': risk score and behavioural segments' if label else ': behavioural segments'))}",
        "    entity: row                   # what one row is, in the report's words",
        *(
            [
                f"    primary_metric: {'pr_auc' if rate < 0.15 else 'roc_auc'}   # {'rare positives: precision-recall' if rate < 0.15 else 'ranking quality'}"
            ]
            if label
            else []
        ),
        "",
        "  score:",
        f"    rows: {'newest_snapshot' if date else 'all'}   # {'the newest date is scored; earlier ones are history' if date else 'every row of the table to score'}",
        "",
    ]
    catalog = _catalog_lines(
        name,
        path,
        project,
        None if line_column else id_col,
        dialect,
        "raw_table",
        "score_input",
        files=files,
        line_column=line_column,
        text=codes,
        every_sheet=bool(table.attrs.get("every_sheet")),
        date_from_name=named_date,
        relative_months=bool(by_month),
    )
    summary = header_notes + [
        f"{c.name}: {c.note}" for c in choices if c.role == "set_aside"
    ]
    summary += history_notes
    if not label:
        summary.append(
            "no --label: segments only (kind: segments): segments, profiles and their "
            "nightly assignment, no risk score; draft again with --label COL to train one"
        )
    summary += left_out_notes(table)
    if line_column:
        first = int(table[line_column].iloc[0])
        summary.append(
            f"no --id: each row is named by its line in the file (column "
            f"'{line_column}', the first row being line {first}); the nightly scores "
            "name the rows of the scored file so"
        )
        summary += [  # a column that may well be the id the option left out
            f"{c.name} holds a different value in every row: if it names the "
            f"entities, draft again with --id {q(c.name)} (the scores then name them)"
            for c in choices
            if c.role == "set_aside" and c.note.startswith("id-like")
        ]
    if "names" not in dialect:
        summary += repeated_headers(files.paths[0] if files else path, dialect)
    if not date:
        summary += _old_extract(table, choices, name)
    if leaks:
        summary.append(
            f"likely leaks set aside: {leaks} (check them before trusting the score)"
        )
    if not nums and not [c for c in choices if c.role == "categorical"]:
        aside = [f"{c.name}: {c.note}" for c in choices if c.role == "set_aside"]
        raise DraftError(
            "no column is left to learn from: "
            + (
                f"every column was set aside ({'; '.join(aside)})"
                if aside
                else f"the table holds only {sorted(skip)} (id, label, date)"
            )
        )
    return Draft("\n".join(lines), catalog, summary)


def _read_label(
    values: pd.Series,
    label: str,
    positive: str | list[str] | None,
    negative: str | list[str] | None,
    above: float | None = None,
) -> tuple[tuple[Any, Any], np.ndarray, np.ndarray, str]:
    """The label as every run reads it: its positive / negative values (an `Above`
    threshold for a number), which rows are labeled, their 0/1 outcomes and a note;
    too few labels of a kind stop the draft."""
    labels = present_values(values)  # as the run reads them: blank is unlabeled
    unset = positive is None and negative is None and above is None
    flag = unset and _one_value_where_happened(labels)
    filled = unset and (flag or _dates_where_filled(labels))
    counted = unset and not filled and _a_count(labels)
    if filled:  # a churn date: filled where the outcome happened, blank where not
        positive = FILLED
    elif counted or above is not None:  # returns in 90 days: positive above 0
        positive = Above(0.0 if above is None else float(above))
    else:
        positive, negative = label_values(labels, label, positive, negative)
    try:  # 0/1, NaN where unlabeled: read as every run reads it
        codes = label_codes(
            labels,
            None if filled or isinstance(positive, Above) else positive,
            label,
            "--label",
            negative,
            filled,
            positive if isinstance(positive, Above) else None,
        ).astype(float)
    except InvalidInputError as err:
        raise DraftError(str(err)) from err
    labeled = codes.notna().to_numpy()
    positives = int(codes[labeled].sum())
    if min(positives, int(labeled.sum()) - positives) < MIN_LABELS:
        raise DraftError(
            f"--label '{label}': {int(labeled.sum())} labeled rows with {positives} "
            f"positives; a model needs at least {MIN_LABELS} labeled rows of each kind "
            "(to fit, and to hold some out for an honest evaluation); leave --label out "
            "for segments only"
        )
    y = codes[labeled].to_numpy(dtype=int)
    note = (
        f"{label}: {'1' if positive is None else repr(positive)} in {int(y.sum()):,} of "
        f"{len(y):,} labeled rows ({y.mean():.1%}); {int((~labeled).sum()):,} unlabeled rows"
    )
    if isinstance(positive, Above):
        note = (
            f"{label}: above {positive:g} in {int(y.sum()):,} of {len(y):,} labeled rows "
            f"({y.mean():.1%}): positive; {int((~labeled).sum()):,} unlabeled rows"
            + (
                " (a count whose most frequent value is 0: any is positive; draft "
                "with --positive-above N for another threshold)"
                if counted
                else ""
            )
        )
    if filled:
        one = labels.dropna().iloc[0]  # a flag as written: 1, not 1.0
        one = int(one) if isinstance(one, float) and one.is_integer() else one
        what = repr(str(one)) if flag else "a date"
        note = (
            f"{label}: {what} where the outcome happened, in {int(y.sum()):,} of "
            f"{len(y):,} rows ({y.mean():.1%}): positive; a blank is negative, so no row "
            "is unlabeled (if a blank can also mean not known yet, the table needs a "
            "column that says which rows are known)"
        )
    return (positive, negative), labeled, y, note


FILLED = "(filled)"  # the drafted label: positive where the column holds a date


class Above(float):
    """The drafted label of a number: positive above this threshold."""


def _a_count(labels: pd.Series) -> bool:
    """A label of whole numbers >= 0 (returns, complaints, chargebacks in a window),
    more than two of them, 0 the most frequent: positive when above 0."""
    present = labels.dropna()
    numbers = numbers_from_text(present.astype("string"))
    if present.empty or numbers.isna().any():
        return False
    whole = bool((numbers >= 0).all() and (numbers == numbers.round()).all())
    return whole and numbers.nunique() > 2 and numbers.mode().iloc[0] == 0


def _one_value_where_happened(labels: pd.Series) -> bool:
    """A flag set only where the outcome happened (`fraud_flag` 1 or blank, `churned`
    Y or blank, as many exports write a flag): one value, case aside, and blanks."""
    present = labels.dropna().astype(str).str.strip().str.lower()
    return 0 < len(present) < len(labels) and present.nunique() == 1


def _dates_where_filled(labels: pd.Series) -> bool:
    """A label column of dates with blanks: the date an outcome happened (a churn date),
    blank where it did not."""
    present = labels.dropna().astype(str).str.strip()
    return (
        0 < len(present) < len(labels)
        and present.nunique() > 2
        and _as_dates(present) is not None
    )


HISTORY_MONTHS = 4  # a panel of at least this many months gets history features


def _history_lines(
    table: pd.DataFrame,
    id_col: str,
    dates: pd.Series | None,
    choices: list[ColumnChoice],
    labeled: np.ndarray,
    time_split: bool,
) -> tuple[list[str], list[str]]:
    """A monthly panel's history features (`derived.history`): each numeric feature's
    change against the same entity 1 and 3 snapshots before and its mean over 3, as
    the built-in seller panel has them (a seller whose sales collapse since last
    quarter). Written when every entity has at most one row per month and the entities
    recur; the spacing of an entity's rows (monthly, quarterly) sets the look-backs,
    and a look-back is written only if the training rows reach back that far (six
    quarters, the newest two labeled ones held out, leave none 9 months back)."""
    features = [c for c in choices if c.role == "numeric" and not c.dates]
    if dates is None or not features:
        return [], []
    month = dates.dt.year.to_numpy() * 12 + dates.dt.month.to_numpy()
    keys = pd.DataFrame({"id": table[id_col].to_numpy(), "month": month})
    if keys.duplicated().any():  # weekly or daily snapshots: look-backs read months
        return [], [
            "snapshots more often than monthly (an id twice in one month): no history "
            "features written (derived.history looks back by months)"
        ]
    keys = keys.sort_values(["id", "month"])
    gaps = keys["month"].diff()[keys["id"].eq(keys["id"].shift())]
    months = keys["month"].nunique()
    if months < HISTORY_MONTHS or gaps.empty:
        return [], []
    step = int(gaps.median())
    trained = np.unique(month[labeled])[: -2 if time_split else None]
    lags = [
        lag
        for lag in (step, 3 * step)
        if len(trained) and trained[-1] - lag >= month.min()
    ]
    if not lags:
        return [], []
    rates = [c.name for c in features if not c.skewed]
    amounts = [c.name for c in features if c.skewed]
    lines = [
        "",
        "  derived:                       # a panel: each feature's change against the same "
        f"{id_col} earlier, and its recent mean",
        "    history:",
        f"      lags_months: {lags}   # its rows are {step} month(s) apart (median)"
        + (
            ""
            if len(lags) > 1
            else f"; the training rows reach {step} back, not {3 * step}"
        ),
        f"      delta_columns: {flow_list(rates, 21)}",
        f"      log_delta_columns: {flow_list(amounts, 25)}   # long-tailed: change of log1p",
        f"      rolling_months: {3 * step}",
        f"      rolling_mean_columns: {flow_list([c.name for c in features], 28)}",
    ]
    note = (
        f"a panel of {months} dates {step} month(s) apart: each numeric feature's change "
        f"against {' and '.join(map(str, lags))} month(s) before and its {3 * step}-month mean are "
        "features too (derived.history; delete the block to learn from each month alone)"
    )
    return lines, [note]


def _supervised_lines(label: str | None, time_split: bool) -> list[str]:
    """The supervised block (none without a label)."""
    if not label:
        return []
    return [
        "",
        "  supervised:",
        "    split: {strategy: time, test_periods: 1, valid_periods: 1}   # newest labeled date tests, the one before validates"
        if time_split
        else "    split: {strategy: stratified, test_size: 0.2, valid_size: 0.2, seed: 42}   # one snapshot: stratified hold-out",
    ]


FEW_NUMERIC = 3  # fewer numeric features than this: categoricals enter the segments too


def _category_lines(choices: list[ColumnChoice], nums: list[str]) -> list[str]:
    """The segments' categorical columns (as 0/1 per level) and dimensions: only for a
    table with few numeric features, which alone would make few, thin segments."""
    categories = [
        c.name
        for c in choices
        if c.role == "categorical" and c.levels and len(c.levels) <= MAX_LEVELS
    ]
    if len(nums) >= FEW_NUMERIC or not categories:
        # no reduction, as the defaults (docs/segments.md: PCA cost every setting tried)
        return [
            "    n_components: null             # no PCA: the features themselves "
            "(an integer or a variance share reduces)"
        ]
    return [
        f"    category_features: {flow_list(categories, 18)}   # few numeric features: "
        "these enter too, a 0/1 column per level",
        "    n_components: null             # no reduction: the columns themselves",
    ]


def _catalog_lines(
    name: str,
    path: Path,
    project: Path,
    text_column: str | None,
    dialect: dict[str, str],
    *entries: str,
    files: FolderFiles | None = None,
    line_column: str | None = None,
    text: list[str] | None = None,
    every_sheet: bool = False,
    date_from_name: str | None = None,
    relative_months: bool = False,
) -> str:
    """The catalog entries reading the drafted table (`files`: a folder of them;
    `text`: more columns read as text: an order log's ids in a workbook, codes written
    with leading zeros)."""
    filepath = project_relative(path, project)
    sample = files.paths[0] if files else path
    out = [
        f"# {name}: the table drafted from {path.name}. Point `{name}.score_input` at the",
        "# rows to score each night (same columns; the label is not read: any value, or none),",
        "# or name tonight's file when you score: kedro run --pipeline=score "
        f"--namespaces={name} --params {SCORE_FILE}.{name}=PATH",
    ]
    text_columns = ([text_column] if text_column else []) + list(text or [])
    if is_workbook(sample):
        from risk_segments.datasets.excel_table_dataset import sheet_names

        sheets = [] if files else sheet_names(sample)
        reading = [
            "  type: risk_segments.datasets.ExcelTableDataset   # a sheet's table (title rows above it and sum rows below left out)",
            "  sheet: null   # each file's first sheet (a name or a number reads another)"
            if files
            else '  sheet: "*"   # every sheet, as one table (they share their columns)'
            if every_sheet
            else f"  sheet: {q(sheets[0])}   # the workbook's first sheet (of {len(sheets)})",
            *([f"  text_columns: {yaml_json(text_columns)}"] if text_columns else []),
        ]
    elif is_parquet(sample):
        reading = ["  type: pandas.ParquetDataset"]
    elif is_json(sample):
        args = json_load_args(sample, text_columns)
        reading = [
            "  type: risk_segments.datasets.JSONTableDataset   # pandas.JSONDataset with nested objects as columns (plan.price)",
            f"  load_args: {yaml_json(args)}",
        ]
    else:
        args = csv_load_args(text_columns, dialect)
        if text_column is None and not line_column:
            args["dtype"] = (
                "str"  # every field as text: the adapter parses, names bad values
            )
        reading = [
            "  type: risk_segments.datasets.CSVTableDataset   # pandas.CSVDataset that checks the file is still written as load_args read it",
            f"  load_args: {yaml_json(args)}",
            *(
                [
                    f"  date_from_name: {q(date_from_name)}   # the snapshot date, "
                    "from each file's name (sellers_2024-01.csv)"
                ]
                if date_from_name
                else []
            ),
            *(
                [
                    "  relative_months: true   # columns named by month (gmv_2024_06) read "
                    "by months before the newest (gmv_m0)"
                ]
                if relative_months
                else []
            ),
        ]
    for entry in entries:
        if files:  # every file of the folder with that suffix, each checked alike
            out += [
                f"{name}.{entry}:",
                "  type: partitions.PartitionedDataset   # a folder: every file is read",
                f"  path: {q(filepath)}",
                f"  filename_suffix: {q(files.suffix)}",
                "  dataset:",
                *[f"  {line}" for line in reading],
            ]
        else:
            out += [
                f"{name}.{entry}:",
                reading[0],
                f"  filepath: {tonight(name, filepath)}"
                if entry == "score_input"
                else f"  filepath: {q(filepath)}",
                *reading[1:],
                *(
                    [
                        f"  line_column: {q(line_column)}   # the rows' id: their line in the file"
                    ]
                    if line_column
                    else []
                ),
            ]
        out += ["  metadata:", "    kedro-viz:", "      layer: raw", ""]
    return "\n".join(out)


SCORE_FILE = "score_file"  # the runtime parameter naming tonight's file


def tonight(name: str, filepath: str) -> str:
    """A score input's file: the drafted table, or the file the score run names
    (`--params score_file.<name>=exports/customers_2026-12-07.csv`: a nightly extract
    whose name carries its date, without editing the catalog)."""
    return f"${{runtime_params:{SCORE_FILE}.{name}, {q(filepath)}}}"


@dataclass
class FolderFiles:
    """The table files of a folder (monthly exports, say) and the suffix they share."""

    paths: list[Path]
    suffix: str


COMPRESSED = (".gz", ".bz2", ".xz", ".zip")


def folder_files(folder: Path) -> FolderFiles:
    """The files of the most common table suffix in `folder` (.csv, .csv.gz, .parquet,
    ...; hidden files aside)."""

    def suffix(file: Path) -> str:
        parts = (
            file.suffixes[-2:]
            if file.suffix.lower() in COMPRESSED
            else file.suffixes[-1:]
        )
        return "".join(parts)

    files = [
        f
        for f in sorted(folder.iterdir())
        if f.is_file() and not f.name.startswith(".")
    ]
    counts = pd.Series(
        [suffix(f) for f in files if suffix(f)], dtype=object
    ).value_counts()
    if counts.empty:
        raise DraftError(f"--table: the folder '{folder}' holds no table file")
    common = str(counts.index[0])
    return FolderFiles([f for f in files if suffix(f) == common], common)


def folder_dialect(files: FolderFiles) -> dict[str, Any]:
    """One dialect for every file of a folder: each file's own, merged (a thousands
    separator or an encoding that only some months show holds for all); a file that
    contradicts another is refused by name."""
    merged: dict[str, Any] = {}
    seen_in: dict[str, str] = {}
    dialects = {file: file_dialect(file) for file in files.paths}
    for file, dialect in dialects.items():
        for key, value in dialect.items():
            if key in merged and merged[key] != value:
                raise DraftError(
                    f"--table: '{file.name}' is written with {key} {value!r}, "
                    f"'{seen_in[key]}' with {merged[key]!r}; the files of a folder are "
                    "read alike"
                )
            merged.setdefault(key, value)
            seen_in.setdefault(key, file.name)
    if "encoding" in merged:  # a utf-8 file beside it must hold no accent to misread
        for file, dialect in dialects.items():
            if "encoding" not in dialect and not _ascii_only(file):
                raise DraftError(
                    f"--table: '{file.name}' is written in utf-8, "
                    f"'{seen_in['encoding']}' in {merged['encoding']}; save them alike"
                )
    return merged


def _ascii_only(file: Path) -> bool:
    with open_bytes(file) as handle:
        return all(block.isascii() for block in iter(lambda: handle.read(1 << 24), b""))


def read_source(
    path: Path,
    files: FolderFiles | None,
    dialect: dict[str, Any],
    text_columns: list[str],
) -> pd.DataFrame:
    """The table the option names: a folder's files as one, or the one file."""
    if files:
        return read_folder(files, dialect, text_columns)
    return read_table(path, text_columns, dialect)


def _date_from_names(
    files: FolderFiles | None, table: pd.DataFrame, id_col: str | None, date: str | None
) -> str | None:
    """A column name for the snapshot date, when a folder of CSVs has none (no --date),
    its rows repeat the ids, and each file's name holds its own date (monthly exports
    named sellers_2024-01.csv); None otherwise."""
    if not files or date or not id_col or is_typed(files.paths[0]):
        return None
    dates = [date_in_name(f.name) for f in files.paths]
    if None in dates or len(set(dates)) < len(dates):
        return None
    if not present_values(table[id_col]).dropna().duplicated().any():
        return None
    return free_name("snapshot_date", table.columns)


def read_folder(
    files: FolderFiles, dialect: dict[str, Any], text_columns: list[str]
) -> pd.DataFrame:
    """Every file of the folder as one table; the files must share their columns and
    be written alike (the catalog reads each with the first one's load_args). Its
    `attrs["file_rows"]`: the rows of each file, in the files' order."""
    frames = []
    for file in files.paths:
        if not is_typed(file) and (
            problem := dialect_mismatch(file, csv_load_args(text_columns, dialect))
        ):
            raise DraftError(
                f"--table: '{file.name}' is not written as '{files.paths[0].name}': {problem}"
            )
        frame = read_table(file, text_columns, dialect)
        if frames and list(frame.columns) != list(frames[0].columns):
            raise DraftError(
                f"--table: '{file.name}' has other columns than '{files.paths[0].name}' "
                f"({list(frame.columns)[:12]} against {list(frames[0].columns)[:12]})"
            )
        frames.append(frame)
    table = pd.concat(frames, ignore_index=True)
    table.attrs["file_rows"] = [len(frame) for frame in frames]
    return table


# --------------------------------------------------------------------------- order logs

ORDER_FEATURES: dict[str, list[float | None]] = {
    "recency_days": [0, None],
    "tenure_days": [0, None],
    "orders": [1, None],
    "frequency": [1, None],
    "monetary_total": [0, None],
    "monetary_avg": [0, None],
    "monetary_max": [0, None],
    "interpurchase_mean_days": [0, None],
    "interpurchase_sd_days": [0, None],
    "recency_to_gap": [0, None],
    "orders_90d": [0, None],
    "spend_90d": [0, None],
    "orders_365d": [0, None],
    "spend_365d": [0, None],
    "spend_prev_90d": [0, None],
    "spend_trend": [None, None],
    "spend_per_90d_hist": [0, None],
}
ORDER_SEGMENT_FEATURES = [
    "recency_days",
    "tenure_days",
    "frequency",
    "monetary_total",
    "monetary_avg",
    "orders_90d",
    "spend_90d",
    "orders_365d",
    "spend_365d",
    "spend_per_90d_hist",
]


def _cutoffs(
    start: pd.Timestamp, end: pd.Timestamp, horizon: int
) -> tuple[str, int, int]:
    """(first cutoff, months between cutoffs, labeled cutoffs) the log can support."""
    for every in dict.fromkeys((max(1, round(horizon / 30)), 1)):
        first = (start + pd.Timedelta(days=max(horizon, 90))) + pd.offsets.MonthEnd(0)
        grid = pd.date_range(first, end, freq=f"{every}ME")
        labeled = int((grid + pd.Timedelta(days=horizon) <= end).sum())
        if labeled >= 3:
            return str(first.date()), every, labeled
    days = (end - start).days
    raise DraftError(
        f"the log spans {days} days ({start.date()} to {end.date()}): with a horizon of "
        f"{horizon} days it leaves fewer than 3 cutoffs whose horizon has closed (train, "
        "validation, test); use a shorter --horizon-days or a longer log"
    )


PER_CUSTOMER_SHARE = (
    0.5  # order ids shared by customers this often: numbered per customer
)
CASE_SHARE = 0.01  # ids (not e-mails) with a second spelling this often: one customer


def _order_numbers_per_customer(
    table: pd.DataFrame, columns: dict[str, str | None]
) -> tuple[bool, float]:
    """Whether the order ids are numbers counted per customer (each customer has an
    order 1, 2, ...): most ids recur for several customers. A few shared ids are an
    error in the log, which the run names; the share is returned for the note."""
    from risk_segments.pipelines.data_processing.orders import (  # noqa: PLC0415
        blank_cells,
    )

    if not columns.get("order_id"):
        return False, 0.0
    order, customer = table[columns["order_id"]], table[columns["customer"]]
    known = ~(blank_cells(order) | blank_cells(customer))
    keys = pd.DataFrame(
        {
            "order": order[known].astype(str).str.strip(),
            "customer": customer[known].astype(str).str.strip(),
        }
    )
    if keys.empty:
        return False, 0.0
    shared = float((keys.groupby("order")["customer"].nunique() > 1).mean())
    return shared >= PER_CUSTOMER_SHARE, shared


def _customer_case(ids: pd.Series) -> tuple[str | None, str]:
    """Whether customer ids that differ only in case are one customer: written as
    `customer_ids` (with the reason) when some do. E-mail addresses are (a CRM export
    writes `Anna@Example.com` where the shop wrote `anna@example.com`), and so are
    other ids when at least 1% of them have a second spelling; a few collisions among
    other ids are kept apart and named (case may be part of the id)."""
    text = ids.astype("string").str.strip()
    distinct = pd.Series(text[text.fillna("") != ""].unique(), dtype="string")
    lowered = distinct.str.lower()
    merged = lowered[lowered.duplicated(keep=False)]
    if merged.empty:
        return None, ""
    first = merged.iloc[0]
    example = " / ".join(repr(str(v)) for v in distinct[lowered == first][:2])
    groups = merged.nunique()
    emails = float(distinct.str.contains("@", regex=False).mean()) > 0.5
    share = len(merged) / len(distinct)
    if emails or share >= CASE_SHARE:
        return "ignore_case", (
            f"{groups:,} customers' ids are written in more than one case (e.g. "
            f"{example}): read as one customer each; exact keeps them apart"
        )
    return "exact", (
        f"{groups:,} ids differ from another only in case (e.g. {example}): kept "
        "apart; ignore_case reads them as one customer"
    )


def draft_order_log(
    name: str,
    path: Path,
    project: Path,
    columns: dict[str, str | None],
    horizon_days: int = 90,
) -> Draft:
    """Map an order log's columns, check them, and write a repeat-purchase use case."""
    from risk_segments.pipelines.data_processing.orders import (  # noqa: PLC0415
        ROW_COUNT,
        blank_cells,
        columns_to_transactions,
        customers_as_spelled,
        money_role,
        order_events,
        order_ids_per_customer,
        order_total_repeated,
        orders_among_events,
    )

    files = folder_files(path) if path.is_dir() else None
    one_file = files.paths[0] if files else path
    dialect = folder_dialect(files) if files else file_dialect(one_file)
    header_notes: list[str] = []
    if not files:
        dialect, header_notes = located_header(path, dialect, list(columns.values()))
    # every CSV field as text: the adapter parses (with the file's decimal mark)
    reading = dialect if is_typed(one_file) else {**dialect, "dtype": str}
    # a workbook's ids as text (Excel keeps 1001 as a number, 1001.0 beside a blank)
    keys = (
        [c for c in (columns.get("customer"), columns.get("order_id")) if c]
        if is_workbook(one_file)
        else []
    )
    table = read_source(path, files, reading, keys)
    header_notes += _sheet_notes(path, table)
    option = {
        "customer": "--customer",
        "date": "--date",
        "amount": "--amount",
        "unit_price": "--unit-price",
        "quantity": "--quantity",
        "order_id": "--order-id",
    }
    columns = {role: as_in_table(table, column) for role, column in columns.items()}
    for role, column in columns.items():
        if column:
            require_column(table, column, option[role], headerless="names" in dialect)
    count_rows = not (columns.get("amount") or columns.get("unit_price"))
    if count_rows:  # events without an amount (visits, logins): each row counts 1
        table, columns = (
            table.assign(**{ROW_COUNT: 1.0}),
            {**columns, "amount": ROW_COUNT},
        )
    rows_read = len(table)
    events = order_events(table, {r: c for r, c in columns.items() if c})
    if events:  # a log of events: the draft reads its orders as the run will
        table = orders_among_events(table, {events[0]: events[1]}, name)
    marks = number_marks(dialect)
    codes, money = amount_codes(table[columns[money_role(columns)]])
    amounts = numbers_from_text(money, **marks)
    if money_role(columns) == "unit_price":
        amounts = amounts * numbers_from_text(table[columns["quantity"]], **marks)
    id_case, id_note = _customer_case(table[columns["customer"]])
    if id_case:  # as the run reads them: one customer however the id is written
        table = customers_as_spelled(
            table, columns["customer"], {"customer_ids": id_case}, name
        )
    per_customer, shared = _order_numbers_per_customer(table, columns)
    per_order = False  # the order's total on each of its lines: counted once
    if columns.get("order_id"):  # an order's lines net (a discount line is no return)
        keyed = order_ids_per_customer(table, columns) if per_customer else table
        order = keyed[columns["order_id"]].astype("string").str.strip()
        per_order = money_role(columns) == "amount" and order_total_repeated(
            amounts, order
        )
        amounts = (
            amounts.groupby(order).first()
            if per_order
            else amounts.groupby(order).sum()
        )
    same_time = _rows_at_one_time(table, columns)
    if same_time:  # without an order id: a customer's rows at one time, one order
        basket = [table[columns["customer"]], table[columns["date"]].astype("string")]
        amounts = amounts.groupby(basket, dropna=False).sum()
    negative = int((amounts < 0).sum())
    guests = int(blank_cells(table[columns["customer"]]).sum())
    date_format, date_note = _date_format(table, columns["date"], "--date")
    exclude = did_not_happen(table, {v for v in columns.values() if v})
    currency = (  # the amounts' own codes (USD 28.65), or a column of codes
        (columns[money_role(columns)], codes.value_counts())
        if codes.notna().any()
        else currency_column(table, {v for v in columns.values() if v} | set(exclude))
    )
    options = {
        "source_name": f"{name}.raw_orders",
        "columns": {k: v for k, v in columns.items() if v and v != ROW_COUNT},
        **({"count_rows": True} if count_rows else {}),
        "exclude_values": {c: values for c, (values, _) in exclude.items()},
        **({"keep_values": {events[0]: events[1]}} if events else {}),
        "negative_amounts": "exclude" if negative else "error",
        "missing_customers": "exclude" if guests else "error",
        **({"customer_ids": id_case} if id_case else {}),
        **marks,
        **({"date_format": date_format} if date_format else {}),
        **({"order_ids": "per_customer"} if per_customer else {}),
        **({"amount_per": "order"} if per_order else {}),
        **({"order_from": "time"} if same_time else {}),
    }
    try:  # (the rates are the user's to give: 1.0 reads the draft's log)
        transactions = columns_to_transactions(
            table,
            {
                **options,
                "currency": {
                    "column": currency[0],
                    "rates": dict.fromkeys(currency[1].index, 1.0),
                },
            }
            if currency
            else options,
        )
    except InvalidInputError as err:
        raise DraftError(str(err)) from err
    start, end = transactions["order_time"].min(), transactions["order_time"].max()
    first, every, labeled = _cutoffs(start, end, int(horizon_days))
    numeric = dict(ORDER_FEATURES) | {c: list(r) for c, r in BTYD_RANGES.items()}
    segment_features = list(ORDER_SEGMENT_FEATURES)
    if columns.get("quantity"):
        numeric["items_avg"] = [0, None]
        segment_features.append("items_avg")
    extra = sorted(
        set(map(str, table.columns))
        - {v for v in columns.values() if v}
        - set(exclude)
        - ({currency[0]} if currency else set())
        - ({events[0]} if events else set())
    )
    mapping = [
        f"      {role}: {q(columns[role]) if columns.get(role) else 'null'}"
        + ("" if columns.get(role) else "   # not given")
        for role in ("customer", "date", money_role(columns), "quantity", "order_id")
    ]
    if count_rows:  # the amount a log of events has not: its rows are counted
        mapping[2] = "      amount: null   # not given: count_rows below"
    lines = [
        f"# {name}: drafted by `kedro draft-use-case` from {path.name} on {today()}.",
        f"# {rows_read:,} rows: {len(transactions):,} orders by {transactions['customer_id'].nunique():,} customers,",
        f"# {start.date()} to {end.date()}. Edit any choice; anything not written here comes",
        "# from conf/base/use_case_defaults.yml. Run it: kedro run --namespaces="
        + name,
        f"{name}:",
        "  kind: order_log",
        "  customer_view:",
        "    source: columns               # the order log's columns, mapped below",
        f"    source_name: {name}.raw_orders",
        "    columns:",
        *mapping,
        f"    # other columns are ignored: {extra[:12]}"
        if extra
        else "    # the log has no other column",
        *(
            [
                "    amount_per: "
                + (
                    "order   # each order's lines repeat its total: counted once per order"
                    " (line: each line's own amount, an order's lines summed)"
                    if per_order
                    else "line   # each line's own amount: an order's lines are summed "
                    "(order: the order's total repeated on every line, counted once)"
                )
            ]
            if columns.get("order_id") and money_role(columns) == "amount"
            else []
        ),
        *(
            [
                "    count_rows: true   # no amount: each row counts 1 (a log of visits or "
                "events); spend, order values and expected spend are counts of rows"
            ]
            if count_rows
            else []
        ),
        *(
            [
                f"    order_from: time   # {same_time:,} rows share their customer and time "
                "with another: the lines of one order, counted once (row: every row an "
                "order of its own)"
            ]
            if same_time
            else []
        ),
        f"    negative_amounts: {options['negative_amounts']}"
        + (
            f"   # {negative:,} orders with a negative total (returns?) are left out and counted"
            if negative
            else "   # a negative amount stops the run"
        ),
        "    exclude_values:   # rows (and their orders) with these values are left out and counted"
        if exclude
        else '    exclude_values: {}   # e.g. {"Status": ["cancelled", "refunded"]}: rows with these values are left out and counted',
        *[
            f"      {q(column)}: {yaml_json(values)}   # {rows:,} rows: orders that did not happen? edit if wrong"
            for column, (values, rows) in exclude.items()
        ],
        *(
            [
                "    keep_values:   # a log of events: only rows with these values are "
                "orders, any other event is left out and counted",
                f"      {q(events[0])}: {yaml_json(events[1])}   # the other "
                f"{events[2]:,} rows are other events (views, carts?): edit if wrong",
            ]
            if events
            else []
        ),
        f"    missing_customers: {options['missing_customers']}"
        + (
            f"   # {guests:,} rows without a customer (guest checkouts?) are left out and counted"
            if guests
            else "   # a row without a customer stops the run"
        ),
        *([f"    customer_ids: {id_case}   # {id_note}"] if id_case else []),
        *_currency_lines(currency),
        *[
            f"    {mark}: {q(value)}   # the file writes numbers like 1{marks.get('thousands', '')}234{marks.get('decimal', '.')}50"
            for mark, value in marks.items()
        ],
        *(
            [f"    date_format: {q(date_format)}   # {date_note}"]
            if date_format
            else []
        ),
        *(
            [
                f"    order_ids: per_customer   # {shared:.0%} of the order ids recur for "
                "other customers: numbers count per customer, an order is customer and number"
            ]
            if per_customer
            else []
        ),
        f"    first_cutoff: {q(first)}   # customer view at month-ends from here, every {every} month(s)",
        f"    every_months: {every}   # {labeled} cutoffs with a closed horizon now",
        f"    horizon_days: {int(horizon_days)}   # label: bought again within this many days after a cutoff",
        "",
        "  schema:",
        f"    source: {name}.raw_orders",
        "    id_column: customer_id",
        "    date_column: snapshot_date      # the cutoff",
        f"    label_column: bought_again_{int(horizon_days)}d",
        "    on_unknown_category: error",
        "    categorical: {}",
        "    numeric:                        # the customer-view features (RFM, gaps, recent windows)",
        *[
            f"      {f}: [{', '.join('null' if b is None else str(b) for b in bounds)}]"
            for f, bounds in numeric.items()
        ],
        "",
        "  segmentation:",
        f"    features: {flow_list(segment_features, 14)}",
        f"    log_features: {flow_list(segment_features, 18)}",
        "    n_components: 6",
        "",
        "  report:",
        f"    title: {q(name.replace('_', ' ').capitalize() + ': propensity to buy again, expected spend and segments')}",
        "    primary_metric: roc_auc",
        "",
    ]
    catalog = _catalog_lines(
        name,
        path,
        project,
        None,
        dialect,
        "raw_orders",
        files=files,
        text=keys,
        every_sheet=bool(table.attrs.get("every_sheet")),
    )
    summary = [
        f"{len(transactions):,} orders, {start.date()} to {end.date()}; first cutoff {first}"
        + (f" (from {len(files.paths)} '{files.suffix}' files)" if files else ""),
        *header_notes,
        *left_out_notes(table),
    ]
    if negative:
        summary.append(
            f"{negative:,} orders with a negative total will be left out and counted"
        )
    for column, (values, rows) in exclude.items():
        summary.append(
            f"{rows:,} rows with {values} in '{column}' will be left out and counted "
            "(exclude_values; edit it if those orders did happen)"
        )
    if events:
        summary.append(
            f"a log of events: only rows with {events[1]} in '{events[0]}' are orders; "
            f"the other {events[2]:,} rows (views, carts?) and any other event type a "
            "nightly file brings will be left out and counted (keep_values; edit it if "
            "they are orders)"
        )
    if guests:
        summary.append(
            f"{guests:,} of {len(table):,} rows have no customer and will be left out "
            "and counted"
        )
    if id_case:
        summary.append(id_note)
    if currency is not None and len(currency[1]) > 1:
        summary.append(
            f"amounts in {len(currency[1])} currencies ({dict(currency[1])} rows in "
            f"'{currency[0]}'): fill in customer_view.currency.rates before the run"
        )
    if per_customer:
        summary.append(
            f"{shared:.0%} of the values of '{columns['order_id']}' belong to several "
            "customers: read as order numbers per customer (order_ids: per_customer)"
        )
    return Draft("\n".join(lines), catalog, summary)


NOT_HAPPENED = re.compile(  # a status that starts so: "Refunded", "payment failed",
    # or its slug as a database stores it: "wc-cancelled" (WooCommerce), "ORDER_REFUNDED"
    r"^\s*(?:(?!(?:no|not|non)[-_])[a-z]{1,5}[-_])?(?:order[-_\s])?(payment[-_\s]+)?"
    r"(cancel|refund|return|void|fail|declin|reject|charge.?back|abandon|unpaid)",
    re.I,
)  # ("partially refunded", "no returns" or "no-returns" are orders that happened)
STATUS_LEVELS = 20  # a status column has at most this many values


def did_not_happen(
    table: pd.DataFrame, mapped: set[str]
) -> dict[str, tuple[list[str], int]]:
    """Status-like columns (few values, some of them words for an order that did not
    go through: cancelled, refunded, voided, failed) -> (those values, their rows)."""
    found = {}
    for column in table.columns:
        if column in mapped or pd.api.types.is_numeric_dtype(table[column]):
            continue
        counts = table[column].dropna().astype(str).str.strip().value_counts()
        if not 2 <= len(counts) <= STATUS_LEVELS:
            continue
        hits = sorted(v for v in counts.index if NOT_HAPPENED.search(v))
        if hits and len(hits) < len(counts):
            found[str(column)] = (hits, int(counts[hits].sum()))
    return found


CURRENCY_CODE = re.compile(r"^[A-Za-z]{3}$")


SAME_TIME_SHARE = 0.01  # rows sharing customer and time: the lines of one order


def _rows_at_one_time(table: pd.DataFrame, columns: dict[str, str | None]) -> int:
    """Without an order id: the rows that share their customer and time with another
    row, if they are at least SAME_TIME_SHARE of the log (a log of product lines, a
    grocery's till rows; a log of dates only, where one day's orders are one, as
    buy-till-you-die models count them), else 0."""
    if columns.get("order_id"):
        return 0
    keys = table[[columns["customer"], columns["date"]]].astype("string")
    shared = int(keys.duplicated(keep=False).sum())
    return shared if shared >= SAME_TIME_SHARE * len(table) else 0


def currency_column(
    table: pd.DataFrame, mapped: set[str]
) -> tuple[str, pd.Series] | None:
    """A column of currency codes (three letters in every row, few of them, named as
    a currency or holding common ISO codes) -> (its name, rows per currency)."""
    for column in table.columns:
        if column in mapped or pd.api.types.is_numeric_dtype(table[column]):
            continue
        values = table[column].astype("string").str.strip()
        values = values[values.fillna("") != ""]
        if values.empty or not values.str.match(CURRENCY_CODE).all():
            continue
        counts = values.str.upper().value_counts()
        named = re.search(r"curr|ccy", str(column), re.IGNORECASE) is not None
        if len(counts) <= STATUS_LEVELS and (
            named or counts.index[0] in COMMON_CURRENCIES
        ):
            return str(column), counts
    return None


def _currency_lines(found: tuple[str, pd.Series] | None) -> list[str]:
    """`currency:` for the draft: the most frequent currency at 1.0, the others to
    fill in (the run stops on a currency without a rate, a nightly file's new one too)."""
    if found is None:
        return []
    column, counts = found
    main = str(counts.index[0])
    rates = ", ".join(f"{c}: {'1.0' if c == main else 'null'}" for c in counts.index)
    others = len(counts) - 1
    return [
        "    currency:   # amounts are converted to one currency before they are summed",
        f"      column: {q(column)}",
        f"      rates: {{{rates}}}   # what 1 unit is worth in {main}"
        + (
            f"; fill in the {others} null(s): the run stops without them"
            if others
            else "; a currency without a rate stops the run"
        ),
    ]


def write_draft(draft: Draft, conf: Path, name: str) -> list[Path]:
    """Write the two files; return their paths."""
    conf.mkdir(parents=True, exist_ok=True)
    written = []
    for kind, text in (("parameters", draft.parameters), ("catalog", draft.catalog)):
        path = conf / f"{kind}_{name}.yml"
        path.write_text(text.rstrip() + "\n", encoding="utf-8")
        written.append(path)
    return written
