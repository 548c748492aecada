"""The model-input contract: pandera schemas and feature lists built from parameters."""

from __future__ import annotations

import logging
import re
import warnings
from collections.abc import Mapping
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

# (pandera imports pyspark.pandas at its first validation when pyspark is installed,
# and pyspark warns about pandas 3: quieted for runs in notices.py)
import pandera.pandas as pa
from pandera.errors import SchemaError, SchemaErrors

logger = logging.getLogger(__name__)


class InvalidInputError(ValueError):
    """A table did not meet its schema; the message names every column and rule broken.

    `problems` holds the same as (column, rule, rows, examples), so the counts of
    several chunks of one input can be added up into one message.
    """

    def __init__(self, message: str, problems: list[Problem] | None = None) -> None:
        super().__init__(message)
        self.problems = list(problems or [])


class Problem(NamedTuple):
    """One broken rule: the column, the rule, how many rows, a few example values."""

    column: str
    rule: str
    rows: int
    examples: tuple[str, ...] = ()

    def line(self) -> str:
        """The problem as one line of an error message."""
        if self.rule == "missing":
            return f"column '{self.column}': missing (required by the schema)"
        where = f" in {self.rows} rows" if self.rows else ""
        sample = f" (e.g. {', '.join(self.examples)})" if self.examples else ""
        return f"column '{self.column}': {self.rule}{where}{sample}"


def schema_error(
    source: str, problems: list[Problem], rows: int | None = None
) -> InvalidInputError:
    """One error naming the input and every problem found in it."""
    over = f" over {rows:,} rows" if rows is not None else ""
    return InvalidInputError(
        f"{source} does not match its schema ({len(problems)} problem(s){over}):\n  - "
        + "\n  - ".join(p.line() for p in problems),
        problems,
    )


def merge_problems(problems: list[Problem]) -> list[Problem]:
    """The same (column, rule) found in several chunks: rows added, examples pooled."""
    merged: dict[tuple[str, str], Problem] = {}
    for p in problems:
        if (p.column, p.rule) in merged:
            old = merged[(p.column, p.rule)]
            examples = tuple(dict.fromkeys(old.examples + p.examples))[:5]
            merged[(p.column, p.rule)] = old._replace(
                rows=old.rows + p.rows, examples=examples
            )
        else:
            merged[(p.column, p.rule)] = p
    return list(merged.values())


def categorical_features(schema: dict[str, Any]) -> list[str]:
    """Categorical feature names, in parameter order."""
    return list(schema["categorical"])


def raw_numeric_features(schema: dict[str, Any]) -> list[str]:
    """Numeric feature names that a raw table must provide, in parameter order."""
    return list(schema["numeric"])


def _range_checks(bounds: list | None) -> list[pa.Check]:
    low, high = (list(bounds) + [None, None])[:2] if bounds else (None, None)
    checks = [
        pa.Check(lambda s: ~np.isinf(s), name="finite (no inf)"),
    ]
    if low is not None:
        checks.append(pa.Check.ge(low))
    if high is not None:
        checks.append(pa.Check.le(high))
    return checks


def _text_values(values: pd.Series) -> pd.Series | bool:
    """Every value is text (missing values are not checked): true by dtype for a
    string column, one C-level type inference for an object column, and a per-value
    look only where that inference finds something else (to name the rows)."""
    if isinstance(values.dtype, pd.StringDtype):
        return True
    if pd.api.types.infer_dtype(values, skipna=True) in ("string", "empty"):
        return True
    return values.map(lambda v: isinstance(v, str))


def build_raw_schema(
    schema: dict[str, Any],
    *,
    require_label: bool = False,
    check_categories: bool = True,
    check_ranges: bool = True,
) -> pa.DataFrameSchema:
    """Pandera schema for a raw table: ids, date, typed features in range, optional label."""
    id_col, date_col, label_col = (
        schema["id_column"],
        schema["date_column"],
        schema["label_column"],
    )
    columns: dict[str, pa.Column] = {
        id_col: pa.Column(str, nullable=False, coerce=True),
        date_col: pa.Column("datetime64[ns]", nullable=False, coerce=True),
    }
    for name, levels in schema["categorical"].items():
        checks = [pa.Check(_text_values, name="text values")]
        if check_categories and levels is not None:  # null levels: any text
            checks.append(pa.Check.isin(list(levels)))
        columns[name] = pa.Column(None, nullable=True, checks=checks)
    for name, bounds in schema["numeric"].items():
        columns[name] = pa.Column(
            "float64",
            nullable=True,
            coerce=True,
            checks=_range_checks(bounds) if check_ranges else [],
        )
    if label_col is not None:  # a segments use case has no label
        columns[label_col] = pa.Column(
            "Int8",
            nullable=True,
            coerce=True,
            required=require_label,
            checks=[pa.Check.isin([0, 1])],
        )
    return pa.DataFrameSchema(columns, strict=False)


def _describe_failures(failures: pd.DataFrame) -> list[Problem]:
    """One problem per (column, rule), with a row count and example values."""
    problems = []
    missing = failures["check"].eq("column_in_dataframe")
    for column in failures.loc[missing, "failure_case"].astype(str).unique():
        problems.append(Problem(column, "missing", 0))
    failures = failures.loc[~missing]
    is_coerce = failures["check"].astype(str).str.startswith("coerce_dtype")
    badly_typed = failures.loc[is_coerce, "column"].unique()
    # a column that cannot be read as its type: report only that, not the knock-on checks
    failures = failures.loc[is_coerce | ~failures["column"].isin(badly_typed)]
    for (column, check), group in failures.groupby(["column", "check"], sort=False):
        examples = tuple(group["failure_case"].dropna().astype(str).unique()[:5])
        rows = int(group["index"].notna().sum())
        what = f"failed '{check}'{_unquoted_words(str(check), examples)}"
        problems.append(Problem(str(column), what, rows, examples))
    return problems


YAML_BOOLEAN_WORDS = {"yes", "no", "on", "off", "y", "n"}


def _unquoted_words(check: str, examples: tuple[str, ...]) -> str:
    """A hint for levels `[Yes, No]` written unquoted: YAML reads them as booleans."""
    if "'true'" in check and any(
        e.strip().lower() in YAML_BOOLEAN_WORDS for e in examples
    ):
        return (
            " (the parameters list Yes/No or On/Off unquoted, which YAML reads as "
            'true/false: quote them, "Yes")'
        )
    return ""


def _key_problems(table: pd.DataFrame, schema: dict[str, Any]) -> list[Problem]:
    """Rows without an id: their own rule (not a duplicate key, not a crash later)."""
    id_col = schema["id_column"]
    if id_col not in table.columns:
        return []
    text = table[id_col].astype("string").str.strip()
    empty = (text.isna() | (text == "")).to_numpy()
    if not empty.any():
        return []
    rows = tuple(f"row {i + 1}" for i in np.flatnonzero(empty)[:5])
    return [Problem(id_col, "no id (empty)", int(empty.sum()), rows)]


COMPACT_DATES = {8: "%Y%m%d", 6: "%Y%m"}  # dates written as integers, by their digits
# months as monthly panels write them, which pandas does not guess (202401, 01/2024)
MONTH_FORMATS = ("%Y%m", "%m/%Y", "%m.%Y", "%Y/%m", "%b %Y", "%B %Y", "%b-%y")
# two-digit years, which pandas does not guess either: a US spreadsheet's short date
# (1/31/23, with its time 1/31/23 14:05), the European ones (31/01/23, 31.01.23)
SHORT_YEAR_FORMATS = tuple(
    f"{day}{time}"
    for day in ("%m/%d/%y", "%d/%m/%y", "%d.%m.%y", "%m-%d-%y", "%d-%m-%y")
    for time in ("", " %H:%M", " %H:%M:%S")
)

# the 12-hour clock as US spreadsheets, SQL Server and .NET exports write it
# ("1/31/2024 12:00:00 AM"): pandas guesses no format for it when the month comes first
CLOCK12_FORMATS = tuple(
    f"{day} {time}"
    for day in ("%m/%d/%Y", "%d/%m/%Y", "%Y-%m-%d", "%m/%d/%y", "%m-%d-%Y", "%d.%m.%Y")
    for time in ("%I:%M:%S %p", "%I:%M %p")
)


def is_number_column(values: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(
        values
    )


def _digits(values: pd.Series) -> pd.Series:
    """Whole numbers as their digits (20240131.0 -> '20240131'); anything else missing."""
    numbers = values.astype(float).to_numpy()
    whole = np.isfinite(numbers) & (numbers == np.round(numbers))
    text = pd.Series(pd.NA, index=values.index, dtype="string")
    text[whole] = numbers[whole].astype(np.int64).astype(str)
    return text


def compact_date_format(values: pd.Series) -> str | None:
    """The format of dates written as integers, from their number of digits: 8 is
    %Y%m%d (20240131), 6 is %Y%m (202401), and Unix times (seconds or milliseconds
    since 1970, as event logs and APIs write them); None otherwise."""
    digits = _digits(values).dropna()
    lengths = digits.str.len().unique()
    if len(lengths) != 1:
        return None
    return COMPACT_DATES.get(int(lengths[0])) or epoch_format(digits)


# Dates as counts from an origin: the date_format names them (strftime has no code
# for them): Unix times in seconds or milliseconds, and a spreadsheet's day numbers
# (Excel writes a date cell formatted as a number as days since 1899-12-30)
EPOCH_UNITS = {"unix_seconds": "s", "unix_milliseconds": "ms", "excel_days": "D"}
_ORIGINS = {"excel_days": "1899-12-30"}
_EPOCH_DIGITS = {10: "unix_seconds", 13: "unix_milliseconds", 5: "excel_days"}
_EPOCH_YEARS = (2001, 2040)  # 10 digits from 1e9 seconds: September 2001 on
_EXCEL_YEARS = (1990, 2049)  # 5-digit day numbers in these years


def epoch_format(text: pd.Series) -> str | None:
    """'unix_seconds' (1717171717), 'unix_milliseconds' (1717171717000) or
    'excel_days' (45292, or 45292.375 with a time of day) when every value is a
    number of that many whole digits in the years they plausibly cover (Unix times
    2001-2040, day numbers 1990-2049); None otherwise."""
    text = text.dropna().astype(str).str.strip()
    text = text[text != ""]
    if text.empty or not text.str.fullmatch(r"\d+(\.\d+)?").all():
        return None
    whole = text.str.split(".").str[0]
    lengths = whole.str.len().unique()
    fmt = _EPOCH_DIGITS.get(int(lengths[0])) if len(lengths) == 1 else None
    fraction = text.str.contains(".", regex=False).any()
    if fmt is None or (fraction and fmt != "excel_days"):
        return None
    times = _counted_times(pd.to_numeric(text), fmt)
    low, high = _EXCEL_YEARS if fmt == "excel_days" else _EPOCH_YEARS
    return fmt if times.dt.year.between(low, high).all() else None


def _counted_times(numbers: pd.Series, fmt: str) -> pd.Series:
    return pd.to_datetime(
        numbers,
        unit=EPOCH_UNITS[fmt],
        origin=_ORIGINS.get(fmt, "unix"),
        errors="coerce",
        utc=True,
    )


# quarters as quarterly panels and finance exports write them (2024Q1, 2024-Q1,
# Q1 2024): the date_format names them, read as the quarter's first day, as a month
# written 2024-01 reads as its first day
QUARTERS = "quarters"
# ISO weeks as weekly reports write them (2024-W05, 2024W05): their Monday
ISO_WEEKS = "iso_weeks"
_ISO_WEEK = re.compile(r"^(?P<year>\d{4})-?W(?P<week>0[1-9]|[1-4]\d|5[0-3])$")
_QUARTER = re.compile(
    r"^(?:(?P<y1>\d{4})\s*[-/ ]?\s*[Qq](?P<q1>[1-4])"
    r"|[Qq](?P<q2>[1-4])\s*[-/ ]?\s*(?P<y2>\d{4}))$"
)


def _quarter_times(text: pd.Series) -> pd.Series:
    parts = text.astype("string").str.strip().str.extract(_QUARTER)
    month = (pd.to_numeric(parts["q1"].fillna(parts["q2"])) - 1) * 3 + 1
    start = parts["y1"].fillna(parts["y2"]) + "-" + month.astype("string") + "-01"
    return pd.to_datetime(start, format="%Y-%m-%d", errors="coerce", utc=True)


def _week_times(text: pd.Series) -> pd.Series:
    parts = text.astype("string").str.strip().str.upper().str.extract(_ISO_WEEK)
    monday = parts["year"] + "-W" + parts["week"] + "-1"
    return pd.to_datetime(monday, format="%G-W%V-%u", errors="coerce", utc=True)


# BigQuery, Looker and many databases write a timestamp's zone as a word:
# "2024-03-05 14:22:11.123456 UTC" (and without the fraction when it is zero)
_ZONE_WORD = re.compile(r"(?<=\d)\s*(?:UTC|GMT)$", re.IGNORECASE)


def _zone_words(values: pd.Series) -> pd.Series:
    """Text timestamps with a zone written as UTC or GMT, as the offset ISO 8601 reads
    (+00:00); any other column unchanged."""
    if pd.api.types.is_numeric_dtype(values) or pd.api.types.is_datetime64_any_dtype(
        values
    ):
        return values
    text = values.astype("string").str.strip()
    return text.str.replace(_ZONE_WORD, "+00:00", regex=True).replace("", pd.NA)


def times_from_text(text: pd.Series, fmt: str | None) -> pd.Series:
    """Timestamps (UTC where zoned) from text in `fmt`: a strftime format, a count
    from an origin (`unix_seconds`, `unix_milliseconds`, `excel_days`), or None for
    ISO 8601 (its zone may be written UTC or GMT). Unreadable: NaT."""
    if fmt in EPOCH_UNITS:
        return _counted_times(pd.to_numeric(text, errors="coerce"), fmt)
    if fmt == QUARTERS:
        return _quarter_times(text)
    if fmt == ISO_WEEKS:
        return _week_times(text)
    if fmt is None:
        text = _zone_words(text)
    return pd.to_datetime(text, format=fmt or "ISO8601", errors="coerce", utc=True)


def read_dates(values: pd.Series, fmt: str | None = None) -> pd.Series:
    """Timestamps from a column: dates stay; text is read with `fmt` (a strftime
    format, e.g. "%d/%m/%Y") when given, else as pandas infers it; integers are
    dates written as digits (20240131), never nanoseconds since 1970. Unreadable: NaT."""
    if pd.api.types.is_datetime64_any_dtype(values):
        # dates with a zone keep their own clock (a Berlin month-end stays the 31st)
        return _one_clock(values)
    if is_number_column(values):
        fmt = fmt or compact_date_format(values)
        if fmt is None:  # digits of no date format: unreadable, named by the caller
            return pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
        values = _digits(values)
    if not fmt:
        text = _zone_words(values)
        # ISO 8601 first: inferred from the first value, "14:22:11.123456" made every
        # time without a fraction unreadable
        iso = pd.to_datetime(text, format="ISO8601", errors="coerce", utc=True)
        if not (iso.isna() & text.notna()).any():
            return _one_clock(iso)
        with warnings.catch_warnings():  # pandas' note on mixed formats: the caller
            warnings.filterwarnings("ignore", "Could not infer format", UserWarning)
            return _one_clock(pd.to_datetime(text, errors="coerce", utc=True))
    text = values.astype("string").str.strip().replace("", pd.NA)
    return _one_clock(times_from_text(text, fmt))


def days_before(
    values: pd.Series, fmt: str | None, snapshot: pd.Series | None
) -> pd.Series:
    """A column of dates as days before each row's snapshot date (a signup date as
    the account's age, a last login as the days since; a date after the snapshot is
    negative). `fmt` as `read_dates` takes it ("ISO 8601": None); `snapshot` None: the
    column's newest date (the draft's profile). Unreadable or blank: NaN."""
    dates = read_dates(values, None if fmt == "ISO 8601" else fmt)
    reference = dates.max() if snapshot is None else snapshot
    return ((reference - dates) / pd.Timedelta(days=1)).astype(float)


def _date_feature(
    table: pd.DataFrame, name: str, fmt: str | None, snapshot: pd.Series, source: str
) -> pd.Series:
    """The column as days before the snapshot; a value no date reads stops the run,
    naming the column, the format and the rows."""
    days = days_before(table[name], fmt, snapshot)
    bad = (days.isna() & present_values(table[name]).notna()).to_numpy()
    what = "that are no date" + (f" in the format '{fmt}'" if fmt else "")
    _no_dates(table, name, bad, f"{what} (schema.date_features)", source)
    return days


def _no_dates(
    table: pd.DataFrame, name: str, bad: np.ndarray, what: str, source: str
) -> None:
    """Stop on a column's values no date reads (`bad`), saying `what` they are not,
    with examples and rows."""
    if not bad.any():
        return
    rows = [f"row {i + 1}" for i in np.flatnonzero(bad)[:5]]
    raise InvalidInputError(
        f"{source}: column '{name}' has {int(bad.sum())} value(s) {what}, e.g. "
        f"{table.loc[bad, name].astype(str).unique()[:3].tolist()} ({', '.join(rows)})"
    )


def _one_clock(values: pd.Series) -> pd.Series:
    """Zoned timestamps as plain times on their own clock (read with utc=True, so that
    offsets that differ, as summer and winter time do, are one column: UTC); plain
    timestamps unchanged."""
    return values.dt.tz_localize(None) if values.dt.tz is not None else values


PLAUSIBLE_YEARS = (1900, 2100)  # '12345' is no date, though %Y%m reads May 1234


def _read_with(values: pd.Series, fmt: str) -> pd.Series | None:
    """`values` read with `fmt`; None if one is unreadable or of no plausible year."""
    parsed = pd.to_datetime(values, format=fmt, errors="coerce", utc=True)
    if parsed.notna().all() and parsed.dt.year.between(*PLAUSIBLE_YEARS).all():
        return parsed
    return None


def _named_format(unique: pd.Series) -> tuple[str, str] | None:
    """A format strftime has no code for, and its note: counts from an origin,
    quarters, ISO weeks; None if no such format reads every value."""
    if epoch := epoch_format(unique):
        since = (
            "1899-12-30, as spreadsheets count"
            if epoch == "excel_days"
            else "1970, UTC"
        )
        return epoch, f"every value is a count of {epoch.split('_')[1]} since {since}"
    if unique.empty:
        return None
    if unique.str.fullmatch(_QUARTER).all():
        return QUARTERS, "every value is a quarter (2024Q1), read as its first day"
    if unique.str.upper().str.fullmatch(_ISO_WEEK).all():
        return ISO_WEEKS, "every value is an ISO week (2024-W05), read as its Monday"
    return None


def _unread_dates(unique: pd.Series, iso: pd.Series, formats: set[str]) -> str:
    """Why no format reads a column's dates: the format that reads most of them, and
    examples of the others (a column of two formats: 10% of an export day-first)."""
    reads = {"ISO 8601": iso.notna().to_numpy()}
    for fmt in sorted(formats):
        parsed = pd.to_datetime(unique, format=fmt, errors="coerce", utc=True)
        reads[fmt] = parsed.notna().to_numpy()
    best = max(reads, key=lambda fmt: int(reads[fmt].sum()))
    missed = unique[~reads[best]]
    if len(missed) == len(unique):
        return (
            f"no date format reads every value (e.g. {unique.head(3).tolist()}); "
            "write them as YYYY-MM-DD, or set date_format"
        )
    return (
        f"no date format reads every value: {best} reads {len(unique) - len(missed):,} "
        f"of the {len(unique):,} distinct values, the other {len(missed):,} are written "
        f"otherwise, e.g. {missed.head(3).tolist()} (two formats in one column?); write "
        "them as YYYY-MM-DD, or set date_format"
    )


def date_format_of(values: pd.Series) -> tuple[str | None, str]:
    """The strftime format that reads every date of a column, and a note saying how
    it was chosen. None: the values are dates already, or ISO 8601 (2024-03-15).
    Day-first and month-first are both tried; if both read every value (no day above
    12 anywhere) the one that spreads the dates over more months is taken and the
    note says so. Raises ValueError naming unreadable values."""
    from pandas.tseries.api import guess_datetime_format  # noqa: PLC0415

    if pd.api.types.is_datetime64_any_dtype(values):
        return None, "dates"
    if is_number_column(values):  # dates written as integers: their digits
        values = _digits(values)
    text = values.dropna().astype(str).str.strip()
    unique = pd.Series(text[text != ""].unique())
    if named := _named_format(unique):
        return named
    iso = pd.to_datetime(
        _zone_words(unique), format="ISO8601", errors="coerce", utc=True
    )
    if unique.empty or iso.notna().all():
        return None, "ISO 8601"
    with warnings.catch_warnings():  # pandas warns when a guess overrules dayfirst
        warnings.simplefilter("ignore", UserWarning)
        candidates = {
            guessed
            for value in unique.head(50)
            for dayfirst in (False, True)
            if (guessed := guess_datetime_format(value, dayfirst=dayfirst))
        } | set(MONTH_FORMATS + SHORT_YEAR_FORMATS + CLOCK12_FORMATS)
    readable = {}
    for fmt in sorted(candidates):  # tried on 500 values first: most fail there
        if _read_with(unique.head(500), fmt) is None:
            continue
        if (parsed := _read_with(unique, fmt)) is not None:
            readable[fmt] = _one_clock(parsed).dt.to_period("M").nunique()
    if not readable:
        raise ValueError(_unread_dates(unique, iso, candidates))
    best = max(sorted(readable), key=readable.get)
    if len(readable) == 1:
        return best, f"every value reads as {best}"
    others = [f for f in readable if f != best]
    return best, (
        f"read as {best} (also readable as {others}: no day above 12; {best} spreads "
        "the dates over the most months); change it if that is wrong"
    )


def future_rows(table: pd.DataFrame, schema: dict[str, Any]) -> np.ndarray:
    """Which rows are dated after the run's as-of date."""
    date = schema["date_column"]
    if date not in table.columns or not schema.get("as_of"):
        return np.zeros(len(table), dtype=bool)
    dates = read_dates(table[date], schema.get("date_format"))
    return (dates.dt.normalize() > pd.Timestamp(schema["as_of"])).to_numpy()


def _date_problems(
    validated: pd.DataFrame, schema: dict[str, Any], source: str
) -> tuple[pd.DataFrame, list[Problem]]:
    """Rows dated after the as-of date: refused, or (`future_rows: exclude`) left out and counted."""
    future = future_rows(validated, schema)
    if not future.any():
        return validated, []
    date = schema["date_column"]
    examples = tuple(
        validated.loc[future, date].dt.date.astype(str).unique()[:5].tolist()
    )
    if schema.get("future_rows", "error") == "exclude":
        logger.warning(
            "%s: %d rows dated after the as-of date %s left out (future_rows: exclude), e.g. %s",
            source,
            int(future.sum()),
            schema["as_of"],
            list(examples),
        )
        return validated.loc[~future].reset_index(drop=True), []
    rule = f"dated after the as-of date {schema['as_of']} (set as_of, or future_rows: exclude)"
    return validated, [Problem(date, rule, int(future.sum()), examples)]


def _empty_problems(validated: pd.DataFrame, schema: dict[str, Any]) -> list[Problem]:
    """Features with no value at all: the model would learn or score nothing from them."""
    if schema.get("on_empty_feature", "error") != "error" or not len(validated):
        return []
    allowed = set(schema.get("allow_empty") or [])
    return [
        Problem(
            name,
            "no value at all (list it under allow_empty to accept)",
            len(validated),
        )
        for name in [*schema["categorical"], *schema["numeric"]]
        if name in validated.columns
        and name not in allowed
        and validated[name].isna().all()
    ]


# compared lower-cased: "\\n" is NULL as MySQL and Postgres export it (\\N)
# a spreadsheet's formula errors, as Excel and LibreOffice export them: no value
SHEET_ERRORS = ("#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#NULL!", "#N/A")
MISSING_TOKENS = (
    *("", "na", "n/a", "nan", "null", "none", "-", "?", "\\n"),
    *(e.lower() for e in SHEET_ERRORS),
)


UNIT_SIGNS = re.compile(  # a currency symbol before or after a number, % after
    r"^([+-]?)[\s€$£¥₹]+|[\s€$£¥₹%]+$"
)


# an amount written with its currency's code, as payment and ERP exports write it:
# USD 28.65, 28.65 EUR, R$ 1.234,56, US$ 12 (a code or a lettered dollar, upper case)
CURRENCY_CODE = r"[A-Z]{3}|[A-Z]{1,3}\$"
_CODED_AMOUNT = re.compile(
    rf"^(?:(?P<pre>{CURRENCY_CODE})\s*(?P<a>[^A-Za-z]*\d[^A-Za-z]*)"
    r"|(?P<b>[^A-Za-z]*\d[^A-Za-z]*?)\s*(?P<post>[A-Z]{3}))$"
)


def amount_codes(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """(the currency each amount is written with, upper case, missing where none;
    the amounts without it): `USD 28.65` -> ("USD", "28.65"), `R$ 1.234,56` ->
    ("R$", "1.234,56"). A column of numbers has none."""
    if pd.api.types.is_numeric_dtype(values):
        return pd.Series(pd.NA, index=values.index, dtype="string"), values
    text = values.astype("string").str.strip()
    parts = text.str.extract(_CODED_AMOUNT)
    codes = parts["pre"].fillna(parts["post"]).astype("string")
    return codes, parts["a"].fillna(parts["b"]).fillna(text).astype("string")


# negatives as accounting exports write them: (1,234.50) and 1234.50-
SPACES = " \u00a0\u202f\u2009"  # a space, no-break, narrow no-break, thin
# Swiss exports group digits so: 1'234.50 (or typeset, 1’234.50)
APOSTROPHES = "'\u2019"
PARENTHESES = re.compile(r"^\((.+)\)$")
TRAILING_MINUS = re.compile(r"^(\d[\d.]*)-$")


def numbers_from_text(
    values: pd.Series, decimal: str = ".", thousands: str | None = None
) -> pd.Series:
    """Numbers from text as spreadsheets write them: a currency symbol before or after
    (`$12.50`, `12,50 €`) and a percent sign after (`12%` reads as 12) are dropped, a
    negative may be written in parentheses or with a trailing minus (`(12.50)`,
    `12.50-`, as accounting exports do), then
    the file's thousands separator and decimal mark (`1.234,50` with decimal "," and
    thousands ".") are read; a space of any kind separates thousands as well as
    another. Unreadable values are missing (NaN)."""
    if pd.api.types.is_numeric_dtype(values):
        return pd.to_numeric(values, errors="coerce")
    # the typeset minus sign (U+2212), as Swedish and Finnish exports write negatives
    text = values.astype("string").str.strip().str.replace("\u2212", "-", regex=False)
    # any space groups digits: French Excel writes U+202F, older exports U+00A0, and a
    # file (or tonight's export) may hold both; so does either apostrophe
    kin = thousands and next((k for k in (SPACES, APOSTROPHES) if thousands in k), None)
    if kin:
        text = text.str.replace(f"[{kin}]", "", regex=True)
    elif thousands:
        text = text.str.replace(thousands, "", regex=False)
    if decimal != ".":
        text = text.str.replace(decimal, ".", regex=False)
    numbers = pd.to_numeric(text, errors="coerce")
    signed = numbers.isna() & text.notna()  # only those go through the unit pattern
    if signed.any():
        bare = text[signed].str.replace(PARENTHESES, r"-\1", regex=True)
        bare = bare.str.replace(UNIT_SIGNS, r"\1", regex=True)
        bare = bare.str.replace(TRAILING_MINUS, r"-\1", regex=True)
        numbers[signed] = pd.to_numeric(bare, errors="coerce")
    return numbers


# a number and a word after it: "8.3 GB", "12 months", "70kg" (not "1001A": a
# one-letter unit needs a space)
_UNIT_VALUE = re.compile(
    r"^(?P<number>[-+]?[\d.,'\s]*\d)(?:\s+(?P<word>[^\W\d_]+)|(?P<tight>[^\W\d_]{2,}))\.?$"
)


def unit_stem(word: str) -> str:
    """A unit as compared: lower-case, without a plural s (month and months)."""
    word = word.lower().rstrip(".")
    return word[:-1] if len(word) > 3 and word.endswith("s") else word


def unit_of(text: pd.Series) -> str | None:
    """The unit every value of a text column is written with ("8.3 GB" -> "gb",
    "1 month" / "12 months" -> "month"), or None. (A column of words fails on its
    first values, before the whole column is read.)"""
    if _unit_of(text.iloc[:UNIT_SAMPLE]) is None:
        return None
    return _unit_of(text)


UNIT_SAMPLE = 2000


def _unit_of(text: pd.Series) -> str | None:
    text = text.str.strip()
    found = text.str.extract(_UNIT_VALUE)
    before = text.str.extract(_CURRENCY_BEFORE)  # USD 28.65, R$ 12,50
    if (found["number"].isna() & ~before["pre"].isin(CURRENCY_PREFIXES)).any():
        return None
    words = found["word"].fillna(found["tight"]).fillna(before["pre"])
    stems = words.map(unit_stem).unique()
    return str(stems[0]) if len(stems) == 1 else None


def without_unit(values: pd.Series, unit: str) -> pd.Series:
    """The values with their unit dropped ("8.3 GB" -> "8.3", "USD 28.65" -> "28.65");
    a value in another unit ("2 TB" where the unit is GB) stays as it is, for the
    schema check to name."""
    text = values.astype("string").str.strip()
    after = rf"^(.*?\d)\s*{re.escape(unit)}s?\.?$"
    before = rf"^{re.escape(unit)}\s*([-+]?[\d.,'\s]*\d)$"
    text = text.str.replace(after, r"\1", regex=True, case=False)
    return text.str.replace(before, r"\1", regex=True, case=False)


# a currency's code before an amount, as a unit of a column of numbers: the common ISO
# codes and lettered dollars only (a code such as `GRP 12` stays text)
COMMON_CURRENCIES = frozenset(
    "EUR USD GBP JPY CHF CAD AUD NZD SEK NOK DKK PLN CZK HUF RON BGN TRY BRL MXN ARS "
    "CLP COP INR CNY HKD SGD KRW TWD THB IDR MYR PHP VND ZAR AED SAR ILS EGP NGN KES".split()
)
CURRENCY_PREFIXES = COMMON_CURRENCIES | {"US$", "R$", "A$", "C$", "HK$", "S$", "NZ$"}
_CURRENCY_BEFORE = re.compile(
    rf"^(?P<pre>{CURRENCY_CODE})\s*(?P<number>[-+]?[\d.,'\s]*\d)$"
)


# units the draft writes for numbers in two shapes that no unit word names:
# 1.2K, 3.4M, 2B (a thousand, a million, a billion, as social and finance exports
# shorten them) and durations
MAGNITUDE = "K/M/B"
DURATION = "h:mm:ss"  # 0:03:25, 1:02:03, 3:25 (m:ss): read as seconds
_MAGNITUDES = {"k": 1e3, "m": 1e6, "mm": 1e6, "mn": 1e6, "b": 1e9, "bn": 1e9}
_MAGNITUDE_VALUE = re.compile(
    r"^(?P<number>.*\d)\s?(?P<suffix>[kKmMbB]|[mM][mMnN]|[bB][nN])?$"
)
_DURATION_VALUE = re.compile(
    r"^(?:(?P<h>\d+):(?=\d{2}:))?(?P<m>\d+):(?P<s>[0-5]\d(?:\.\d+)?)$"
)


def unit_numbers(
    text: pd.Series, unit: str, decimal: str = ".", thousands: str | None = None
) -> pd.Series:
    """Numbers written with the column's unit (`schema.units`): the unit word dropped
    ("8.3 GB" -> 8.3), a K/M/B suffix multiplied out ("1.2K" -> 1200), a duration in
    seconds ("0:03:25" -> 205); what does not read so is missing (NaN)."""
    if unit in (DURATION, MAGNITUDE):
        text = text.astype("string").str.strip()
    if unit == DURATION:
        parts = text.str.extract(_DURATION_VALUE)
        hours = pd.to_numeric(parts["h"]).fillna(0).where(parts["m"].notna())
        return hours * 3600 + pd.to_numeric(parts["m"]) * 60 + pd.to_numeric(parts["s"])
    if unit == MAGNITUDE:
        parts = text.str.extract(_MAGNITUDE_VALUE)
        factor = parts["suffix"].str.lower().map(_MAGNITUDES).fillna(1.0)
        return numbers_from_text(parts["number"], decimal, thousands) * factor
    if unit:
        text = without_unit(text, unit)
    return numbers_from_text(text, decimal, thousands)


def shape_unit(text: pd.Series, marks: dict[str, str] | None = None) -> str | None:
    """DURATION when every value is a duration (h:mm:ss or m:ss), MAGNITUDE when every
    value is a number and some carry a K/M/B suffix (beside plain numbers, or more
    than one suffix, or written tight in capitals: "12K"; "5 m" alone is metres),
    else None. The first values decide before the whole column is read."""
    text = text.astype("string").str.strip()
    if text.empty:
        return None
    sample = text.iloc[:UNIT_SAMPLE]
    if _durations(sample) and _durations(text):
        return DURATION
    if _magnitudes(sample, marks) and _magnitudes(text, marks):
        return MAGNITUDE
    return None


def _durations(text: pd.Series) -> bool:
    return bool(text.str.fullmatch(_DURATION_VALUE).all())


def _magnitudes(text: pd.Series, marks: dict[str, str] | None) -> bool:
    parts = text.str.extract(_MAGNITUDE_VALUE)
    suffixes = parts["suffix"].dropna()
    return bool(
        not suffixes.empty
        and numbers_from_text(parts["number"], **(marks or {})).notna().all()
        and (
            len(suffixes) < len(text)  # beside plain numbers
            or suffixes.str.lower().nunique() > 1
            or suffixes.str.fullmatch("[KMB]").all()
        )
    )


def _blank_to_missing(values: pd.Series, tokens: tuple[str, ...] = ("",)) -> pd.Series:
    """Text cells that are blank (or, for numbers, a usual NA token) become missing."""
    text = values.astype("string").str.strip().str.lower()
    return values.where(~text.isin(tokens).fillna(False), np.nan)


def present_values(values: pd.Series) -> pd.Series:
    """The values as objects, blank cells and the usual NA tokens missing (a CSV reads
    them so; a parquet file or a frame keeps '' and 'NA' as text)."""
    return _blank_to_missing(values.astype(object), MISSING_TOKENS)


def _stripped(values: pd.Series) -> pd.Series:
    """Text without surrounding blanks ('Month-to-month ' as a database's padded CHAR
    column writes it is 'Month-to-month', the level the draft listed), stripped once
    per distinct value, not per row."""
    codes, levels = pd.factorize(values)
    written = pd.Index(levels.astype(str))
    bare = written.str.strip()
    if len(levels) == 0 or (bare == written).all():
        return values
    out = np.asarray(bare, dtype=object)[codes]
    out[codes < 0] = None
    return pd.Series(out, index=values.index, name=values.name).fillna(np.nan)


def level_text(level: Any) -> Any:
    """A categorical level as `as_text` reads the column's values: `1` and `1.0` are
    '1', `true` is 'true', text without surrounding blanks. A level written `[0, 1]` in
    the parameters matched no value ('0', '1'), and the schema check named them all."""
    if isinstance(level, bool):
        return "true" if level else "false"
    if isinstance(level, int | float):
        return str(int(level)) if float(level).is_integer() else str(level)
    return level.strip() if isinstance(level, str) else level


def as_text(values: pd.Series) -> pd.Series:
    """Categorical values as text: integer codes (1, 1.0) read as '1', booleans as
    'true'/'false', surrounding blanks dropped; blank cells are missing."""
    if pd.api.types.is_bool_dtype(values):
        return values.map({True: "true", False: "false"}).astype(object)
    kind = pd.api.types.infer_dtype(values, skipna=True)
    if kind in ("string", "empty"):
        return _blank_to_missing(_stripped(values))
    if pd.api.types.is_numeric_dtype(values) or kind in (
        "integer",
        "floating",
        "mixed-integer-float",
    ):
        numbers = pd.to_numeric(values, errors="coerce").astype("float64")
        whole = numbers.notna() & (numbers == np.round(numbers))
        text = numbers.astype(str).astype(object)
        text[whole] = numbers[whole].astype("int64").astype(str)
        return text.where(numbers.notna(), None)
    return _blank_to_missing(values.map(lambda v: v if pd.isna(v) else str(v)))


_WHOLE_WRITTEN_AS_FLOAT = re.compile(r"^([+-]?\d+)\.0+$")


def id_text(values: pd.Series) -> pd.Series:
    """Ids as text that names one customer or order however the file stored it: 1001
    stored as a float (a column with a blank, as pandas and Excel write it) or
    written '1001.0' is '1001', as in the files that wrote it as an integer."""
    text = as_text(values).astype("string")
    return text.str.replace(_WHOLE_WRITTEN_AS_FLOAT, r"\1", regex=True)


def label_value_set(values: Any) -> set[str]:
    """A label value or a list of them, as the lower-case text they are compared by."""
    listed = values if isinstance(values, (list, tuple)) else [values]
    return {str(v).strip().lower() for v in listed}


def label_codes(
    values: pd.Series,
    positive: Any,
    column: str,
    source: str,
    negative: Any = None,
    when_filled: bool = False,
    above: float | None = None,
) -> pd.Series:
    """A label given as any two values (or booleans, or 0/1) as nullable 0/1.

    `when_filled` (`schema.positive_when_filled`): the column holds the outcome's date
    (a churn date, a default date) where it happened and is blank where it did not:
    filled is 1, blank 0, no row unlabeled.

    `above` (`schema.positive_above`): the outcome is a number (returns in the next
    90 days, days late): above it is 1, at or below 0, blank unlabeled; a value that
    is no number stops the run.

    With `positive` set (a value, or a list of values), those are 1 and the one other
    value is 0; with `negative` set too, its values are 0 and any other value is
    unlabeled (an outcome column such as a loan's status, where "Current" has no
    outcome yet). Without `positive`, booleans and 0/1 are read as they are, and
    anything else is an error that says which values were found.
    """
    values = present_values(values)
    if when_filled:
        return values.notna().astype("Int8")
    if above is not None:
        numbers = numbers_from_text(values.astype("string"))
        if (bad := values.notna() & numbers.isna()).any():
            raise InvalidInputError(
                f"{source}: label column '{column}' has {int(bad.sum())} value(s) that are "
                f"no number, e.g. {sorted(values[bad].astype(str).unique())[:5]} "
                f"(schema.positive_above: {above})"
            )
        return (numbers > float(above)).astype("Int8").where(numbers.notna(), pd.NA)
    seen = sorted({str(v) for v in values.dropna()})
    if positive is not None:
        text = values.dropna().astype(str).str.strip().str.lower()
        positives = label_value_set(positive)
        is_positive = text.isin(positives)
        if not is_positive.any():
            raise InvalidInputError(
                f"{source}: label column '{column}' has no value {positive!r} "
                f"(schema.positive_label); found {seen[:10]}"
            )
        others = set(text.unique()) - positives
        if negative is not None:
            is_negative = text.isin(label_value_set(negative))
            codes = is_positive.astype("int8").where(is_positive | is_negative)
            if unlabeled := int((~(is_positive | is_negative)).sum()):
                logger.info(
                    "%s: %d rows of '%s' are neither positive nor negative (%s): "
                    "unlabeled",
                    source,
                    unlabeled,
                    column,
                    sorted(others - label_value_set(negative))[:5],
                )
        elif len(others) > 1:  # 'Yes' and 'yes ' are one value
            raise InvalidInputError(
                f"{source}: label column '{column}' must hold two values (and blanks for "
                f"unlabeled rows), found {len(seen)}: {seen[:10]}; or set "
                "schema.negative_label to the values that mean negative (any other "
                "value is then unlabeled)"
            )
        else:
            codes = is_positive.astype("int8")
        out = pd.Series(pd.NA, index=values.index, dtype="Int8")
        out[codes.index] = codes.astype("Int8").to_numpy()
        return out
    lowered = {v.strip().lower() for v in seen}
    if lowered <= {"true", "false"}:
        return values.map(
            lambda v: pd.NA if pd.isna(v) else int(str(v).strip().lower() == "true")
        ).astype("Int8")
    numbers = pd.to_numeric(values, errors="coerce")
    if (numbers.notna() == values.notna()).all() and set(numbers.dropna()) <= {0, 1}:
        return numbers.astype("Int8")
    raise InvalidInputError(
        f"{source}: label column '{column}' holds {seen[:10]}, not 0/1; set "
        'schema.positive_label to the value that means positive (e.g. positive_label: "Yes")'
    )


def as_of_date(schema: dict[str, Any]) -> pd.Timestamp:
    """The run's as-of date (the config loader stamps it into every schema); today
    (UTC) for a schema that was built without one."""
    return pd.Timestamp(schema.get("as_of") or pd.Timestamp.now("UTC").date())


SEPARATORS = (",", ";", "\t", "|")  # the CSV separators a file is read with


def separator_hint(columns: list[Any]) -> str:
    """Why a table read as one column (its header holds another separator than the
    catalog entry's), or ''."""
    if len(columns) != 1:
        return ""
    header = str(columns[0])
    found = [sep for sep in SEPARATORS if sep in header]
    if not found:
        return ""
    return (
        f"; the file was read as one column ({header[:60]!r}...): its fields are "
        f"separated by {found[0]!r}, not by the separator of the catalog entry's "
        f"load_args (set load_args.sep: {found[0]!r}, or draft the file again)"
    )


def one_table(raw: Any) -> Any:
    """A folder's files (a PartitionedDataset: file name -> loader) as one table, in
    file-name order; anything else as it is."""
    if not isinstance(raw, Mapping):
        return raw
    if not raw:
        raise InvalidInputError("no file found in the folder the catalog entry names")
    return pd.concat(
        [item() if callable(item) else item for _, item in sorted(raw.items())],
        ignore_index=True,
    )


def index_as_columns(table: pd.DataFrame) -> pd.DataFrame:
    """The table with its named index levels as columns again: a parquet file written
    from a frame indexed by its id reads back with the id as the index, not a column.
    An unnamed index (row numbers) is left as it is."""
    names = list(table.index.names)
    if any(n is None for n in names) or any(n in table.columns for n in names):
        return table
    return table.reset_index()


def _without_codes(values: pd.Series, codes: list[Any]) -> pd.Series:
    """The column with its codes for none missing: numbers (365243), and words in a
    column of numbers ('unknown'), compared as NA tokens are (`_blank_to_missing`:
    without surrounding blanks or case, so a nightly extract's 'Unknown' is the same)."""
    numbers = [c for c in codes if not isinstance(c, str)]
    words = tuple(c.strip().lower() for c in codes if isinstance(c, str))
    values = values.mask(
        pd.to_numeric(values, errors="coerce").isin(numbers).to_numpy()
    )
    if words and not pd.api.types.is_numeric_dtype(values):
        values = _blank_to_missing(values, words)
    return values


def with_column(table: pd.DataFrame, name: str, values: Any) -> pd.DataFrame:
    """`table` with a new last column, joined at once: inserted into a wide table (100+
    text columns are as many blocks, and more once replaced one by one), pandas warned
    of a "highly fragmented" frame in every run's log."""
    column = pd.DataFrame({name: values}, index=table.index)
    return pd.concat([table, column], axis=1)


def as_people_have_it(
    table: pd.DataFrame, schema: dict[str, Any], source: str
) -> pd.DataFrame:
    """Tables as people have them, before the schema check: blank strings and NA tokens
    are missing, so are a numeric column's `missing_codes` (numbers, or words among
    numbers, that stand for none), integer-coded categoricals are text, the label may
    be any two values, `drop:` columns go, a table without a date column gets the
    run's as-of date, and `date_features` (a signup date, a last login) become days
    before each row's snapshot date."""
    # a new frame whose columns are replaced below: pandas' copy-on-write keeps the
    # caller's table as it was without copying every column of every chunk first
    table = table.drop(
        columns=[c for c in schema.get("drop") or [] if c in table.columns]
    )
    date, fmt = schema["date_column"], schema.get("date_format")
    if not schema.get("date_in_table", True) and date not in table:
        table = with_column(table, date, as_of_date(schema))  # a datetime column
    marks = schema.get("number_marks") or {}
    dated, units = schema.get("date_features") or {}, schema.get("units") or {}
    for name in schema["numeric"]:
        if name in dated:  # read once the snapshot date is known (below)
            continue
        if name in table.columns and not pd.api.types.is_numeric_dtype(table[name]):
            text = present_values(table[name])
            numbers = unit_numbers(  # "8.3 GB": 8.3, "1.2K": 1200
                text,
                str(units.get(name, "")),
                marks.get("decimal", "."),
                marks.get("thousands"),
            )
            # what does not read as a number stays as it was: the schema check names it
            table[name] = numbers.astype(object).where(numbers.notna(), text)
    for name, codes in (schema.get("missing_codes") or {}).items():
        if name in table.columns:  # 365243 days employed: none, not 1,000 years
            table[name] = _without_codes(table[name], codes)
    for name in schema["categorical"]:
        if name in table.columns:
            table[name] = as_text(table[name])
    label = schema["label_column"]
    if label in table.columns and (
        schema.get("positive_label") is not None
        or schema.get("positive_when_filled")
        or schema.get("positive_above") is not None
        or not pd.api.types.is_numeric_dtype(table[label])
    ):
        table[label] = label_codes(
            table[label],
            schema.get("positive_label"),
            label,
            source,
            schema.get("negative_label"),
            bool(schema.get("positive_when_filled")),
            schema.get("positive_above"),
        )
    if date in table.columns and isinstance(table[date].dtype, pd.DatetimeTZDtype):
        table[date] = read_dates(table[date])
    elif date in table.columns and (fmt or is_number_column(table[date])):
        # integer dates (20240131, 202401) are their digits, never nanoseconds
        fmt = fmt or compact_date_format(table[date])
        dates = read_dates(table[date], fmt)
        bad = (dates.isna() & table[date].notna()).to_numpy()
        what = f"not in the format '{fmt}' (schema.date_format)"
        _no_dates(table, date, bad, what, source)
        table[date] = dates
    present = [name for name in dated if name in table.columns]
    if present and date in table.columns:  # a signup date: its age at the snapshot
        snapshot = table[date]
        if not pd.api.types.is_datetime64_any_dtype(snapshot):
            snapshot = read_dates(snapshot, fmt)
        for name in present:
            table[name] = _date_feature(table, name, dated[name], snapshot, source)
    return table


def validate_table(
    table: pd.DataFrame,
    schema: dict[str, Any],
    source: str,
    *,
    require_label: bool = False,
    chunk: bool = False,
) -> pd.DataFrame:
    """Validate and coerce a raw table; raise InvalidInputError naming each broken rule.

    Unknown categories are an error by default; with ``on_unknown_category: warn``
    they are counted in the log and kept (the model tolerates them).
    ``chunk``: the table is one chunk of an input whose caller checks duplicate keys
    over the whole input and counts the tolerated values itself (the score batch).
    """
    table = one_table(table)  # a folder of files: one table
    if not isinstance(table, pd.DataFrame):
        raise InvalidInputError(
            f"{source}: expected a pandas DataFrame, got {type(table).__name__}"
        )
    if table.empty:
        raise InvalidInputError(f"{source}: the table is empty (0 rows)")
    strict_categories = schema.get("on_unknown_category", "error") == "error"
    strict_ranges = schema.get("on_out_of_range", "error") == "error"
    pandera_schema = build_raw_schema(
        schema,
        require_label=require_label,
        check_categories=strict_categories,
        check_ranges=strict_ranges,
    )
    table = index_as_columns(table).reset_index(drop=True)
    if hint := separator_hint(list(table.columns)):
        raise InvalidInputError(
            f"{source}: the columns the schema names are missing{hint}"
        )
    table = as_people_have_it(table, schema, source)
    key_problems = _key_problems(table, schema)
    try:
        validated = pandera_schema.validate(table, lazy=True)
        problems = key_problems
    except SchemaErrors as err:
        problems = key_problems + [
            p
            for p in _describe_failures(err.failure_cases)
            if not (key_problems and p.column == schema["id_column"])
        ]
        raise schema_error(source, problems) from None
    except SchemaError as err:  # pragma: no cover - lazy=True reports SchemaErrors
        raise InvalidInputError(f"{source}: {err}") from None
    validated, date_problems = _date_problems(validated, schema, source)
    problems += date_problems + _empty_problems(validated, schema)
    if problems:
        raise schema_error(source, problems)
    if chunk:
        return validated
    keys = [schema["id_column"], schema["date_column"]]
    duplicated = validated.duplicated(keys, keep=False)
    if duplicated.any():
        examples = validated.loc[duplicated, keys].drop_duplicates().head(5)
        raise InvalidInputError(
            f"{source}: {int(duplicated.sum())} rows share an ({', '.join(keys)}) key; "
            f"each entity may appear once per snapshot. Examples: "
            f"{examples.astype(str).to_dict('records')}"
        )
    if not (strict_categories and strict_ranges):
        for kind, column, count in count_violations(validated, schema):
            logger.warning(
                "%s: %d rows have %s in '%s' (kept and scored)",
                source,
                count,
                kind,
                column,
            )
    return validated


def count_violations(
    table: pd.DataFrame, schema: dict[str, Any]
) -> list[tuple[str, str, int]]:
    """(kind, column, rows) for unseen categories, values out of range, inf, and all-empty columns."""
    found = []
    for name, levels in schema["categorical"].items():
        if name in table.columns and levels is not None:
            unseen = int((table[name].notna() & ~table[name].isin(list(levels))).sum())
            if unseen:
                found.append(("unseen categories", name, unseen))
    for name, bounds in schema["numeric"].items():
        if name not in table.columns:
            continue
        values = table[name].to_numpy(dtype=float)
        low, high = (list(bounds or []) + [None, None])[:2]
        infinite = int(np.isinf(values).sum())
        if infinite:
            found.append(("inf values", name, infinite))
        finite = values[np.isfinite(values)]
        outside = int(
            ((finite < low).sum() if low is not None else 0)
            + ((finite > high).sum() if high is not None else 0)
        )
        if outside:
            found.append((f"values outside [{low}, {high}]", name, outside))
    for name in [*schema["categorical"], *schema["numeric"]]:
        if name in table.columns and len(table) and table[name].isna().all():
            found.append(("no value at all (all empty)", name, len(table)))
    return found
