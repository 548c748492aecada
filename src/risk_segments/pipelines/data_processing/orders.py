"""The transaction-log contract every order source maps into, and its adapters.

A transaction log has one row per order: `customer_id` (a person, text),
`order_id` (text), `order_time` (timestamp), `amount` (money, >= 0), and
optional order attributes (`items`, `delivery_delay_days`, `late_delivery`,
`review_score`, `payment_type`, `payment_installments`, `product_category`,
`customer_state`). Adapters turn a source's own files into it:

* `columns` (any transaction table): the parameters map its columns (customer,
  date, amount, optional quantity and order id); other columns are ignored and
  rows may come in any order. Lines of one order (same order id) are summed
  into one order. A log of invoice lines with a unit price and no line total
  maps `unit_price` (with `quantity`) instead of `amount`: a line's amount is
  their product. Rows without a customer (guest checkouts) stop the run, or
  are left out and counted with `missing_customers: exclude`; rows of orders that
  did not happen (`exclude_values`: a status column's cancelled, refunded, ...)
  are left out and counted; ids that differ only in case are one customer with
  `customer_ids: ignore_case`; a log in several currencies is converted to one
  with `currency: {column, rates}`. An export that writes an order's own fields on its
  first line only (Shopify) has them taken for the order's other lines. CDNOW (`CDNOW_master.txt`) is this adapter with a mapping.
* Olist (Kaggle `olistbr/brazilian-ecommerce`): orders, customers, items,
  payments, reviews, products. A person is `customer_unique_id` (Olist gives a
  new `customer_id` to every order); only delivered and shipped orders count.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from risk_segments.schema import (
    InvalidInputError,
    amount_codes,
    date_format_of,
    id_text,
    numbers_from_text,
    one_table,
    times_from_text,
)

logger = logging.getLogger(__name__)

REQUIRED = ("customer_id", "order_id", "order_time", "amount")
OPTIONAL_NUMERIC = (
    "items",
    "delivery_delay_days",
    "late_delivery",
    "review_score",
    "payment_installments",
)
OPTIONAL_TEXT = ("payment_type", "product_category", "customer_state")

MAPPED_ROLES = ("customer", "date", "amount", "unit_price", "quantity", "order_id")
OLIST_FILES: dict[str, tuple[str, ...]] = {
    "olist_orders_dataset": (
        "order_id",
        "customer_id",
        "order_status",
        "order_purchase_timestamp",
        "order_delivered_customer_date",
        "order_estimated_delivery_date",
    ),
    "olist_customers_dataset": ("customer_id", "customer_unique_id", "customer_state"),
    "olist_order_items_dataset": (
        "order_id",
        "order_item_id",
        "product_id",
        "price",
        "freight_value",
    ),
    "olist_order_payments_dataset": (
        "order_id",
        "payment_sequential",
        "payment_type",
        "payment_installments",
        "payment_value",
    ),
    "olist_order_reviews_dataset": (
        "review_id",
        "order_id",
        "review_score",
        "review_creation_date",
    ),
    "olist_products_dataset": ("product_id", "product_category_name"),
}
OLIST_PURCHASE_STATUSES = ("delivered", "shipped")


def _require(frame: pd.DataFrame, columns: tuple[str, ...], source: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InvalidInputError(
            f"{source} lacks column(s) {missing}; found {list(frame.columns)}"
        )


def _numbers(
    frame: pd.DataFrame,
    column: str,
    source: str,
    options: Mapping[str, Any] | None = None,
) -> pd.Series:
    marks = options or {}
    values = numbers_from_text(
        frame[column], marks.get("decimal", "."), marks.get("thousands")
    )
    bad = values.isna() & frame[column].notna()
    if bad.any():
        examples = frame.loc[bad, column].astype(str).unique()[:3].tolist()
        raise InvalidInputError(
            f"{source}: column '{column}' has {int(bad.sum())} non-numeric value(s), e.g. {examples} "
            f"(lines {_line_numbers(bad)})"
        )
    return values


def _line_numbers(mask: pd.Series, limit: int = 5) -> list[int]:
    """File line numbers of the first flagged rows (line 1 is the header)."""
    return [int(i) + 2 for i in mask.index[mask.to_numpy()][:limit]]


def _times(
    frame: pd.DataFrame, column: str, source: str, fmt: str | None = None
) -> pd.Series:
    """Timestamps from text: the given format, else ISO 8601, else the one format that
    reads every value (`date_format_of`: 03/04/2024 beside 25/04/2024 is day-first)."""
    text = frame[column].astype("string").str.strip().replace("", pd.NA)
    # utc=True: offsets that differ (summer and winter time) still make one column
    values = times_from_text(text, fmt)
    if fmt is None and (values.isna() & text.notna()).any():
        try:  # the format that reads every value (day-first or month-first: see there)
            guessed, _ = date_format_of(text)
        except ValueError:
            guessed = None
        if guessed:
            values = times_from_text(text, guessed)
    bad = values.isna() & text.notna()
    if bad.any():
        examples = text[bad].unique()[:3].tolist()
        raise InvalidInputError(
            f"{source}: column '{column}' has {int(bad.sum())} unreadable timestamp(s), e.g. {examples} "
            f"(lines {_line_numbers(bad)})" + (f" (expected {fmt})" if fmt else "")
        )
    if getattr(values.dt, "tz", None) is not None:  # one clock: UTC, without the zone
        values = values.dt.tz_convert("UTC").dt.tz_localize(None)
    return values


def check_transactions(
    transactions: pd.DataFrame, source: str = "transactions"
) -> pd.DataFrame:
    """Check the contract: required columns, types, no missing keys, non-negative amounts."""
    _require(transactions, REQUIRED, source)
    problems = []
    for column in ("customer_id", "order_id", "order_time", "amount"):
        empty = int(transactions[column].isna().sum())
        if empty:
            problems.append(f"column '{column}': {empty} empty value(s)")
    if not pd.api.types.is_datetime64_any_dtype(transactions["order_time"]):
        problems.append(
            f"column 'order_time': expected timestamps, got {transactions['order_time'].dtype}"
        )
    negative = int((transactions["amount"] < 0).sum())
    if negative:
        problems.append(f"column 'amount': {negative} negative value(s)")
    duplicated = int(transactions["order_id"].duplicated().sum())
    if duplicated:
        problems.append(f"column 'order_id': {duplicated} duplicated order id(s)")
    if problems:
        raise InvalidInputError(
            f"{source} breaks the transaction-log contract:\n  - "
            + "\n  - ".join(problems)
        )
    return transactions


ROW_COUNT = "(each row counts 1)"  # the amount of a log without one (count_rows)


def _mapping(options: Mapping[str, Any]) -> dict[str, str]:
    columns = {role: name for role, name in (options.get("columns") or {}).items()}
    unknown = sorted(set(columns) - set(MAPPED_ROLES))
    missing = [r for r in ("customer", "date") if not columns.get(r)]
    money = [r for r in ("amount", "unit_price") if columns.get(r)]
    if options.get("count_rows"):  # events without an amount: each row counts 1
        if money:
            raise InvalidInputError(
                f"customer_view.count_rows counts each row as 1, and columns map "
                f"{money[0]} '{columns[money[0]]}': map no amount, or drop count_rows"
            )
        columns["amount"], money = ROW_COUNT, ["amount"]
    if len(money) != 1:
        missing.append("amount (or unit_price with quantity), exactly one")
    elif money == ["unit_price"] and not columns.get("quantity"):
        missing.append("quantity (unit_price needs it)")
    if unknown or missing:
        raise InvalidInputError(
            "customer_view.columns maps the order log's columns: {customer, date, "
            "amount (or unit_price and quantity), quantity (optional), order_id "
            "(optional)}; "
            + (f"unknown role(s) {unknown}; " if unknown else "")
            + (f"missing {missing}" if missing else "")
        )
    return {role: name for role, name in columns.items() if name}


def money_role(mapping: Mapping[str, Any]) -> str:
    """'amount' (an order or line total) or 'unit_price' (times the quantity)."""
    return "unit_price" if mapping.get("unit_price") else "amount"


def _short_lines(raw: pd.DataFrame) -> pd.Series:
    """Rows whose trailing fields are all missing: a line with fewer fields than the header."""
    filled = raw.notna().to_numpy()
    last = np.where(
        filled.any(axis=1), filled.shape[1] - 1 - np.argmax(filled[:, ::-1], axis=1), -1
    )
    return pd.Series(last < filled.shape[1] - 1, index=raw.index)


def blank_cells(values: pd.Series) -> pd.Series:
    """True where a cell is missing or only spaces."""
    text = values.astype("string").str.strip()
    return (text.isna() | (text == "")).astype(bool)


# a column of event types (view, cart, purchase) has at most this many values
EVENT_LEVELS = 20
PURCHASE_EVENT = re.compile(  # an event type that is an order: "purchase", "transaction",
    # "Order Completed" (Segment), "checkout_completed", "ecommerce_purchase" (GA)
    r"\b(?:purchase[ds]?|transactions?|buy|bought|sale|orders? (?:completed|placed|paid)"
    r"|(?:completed|placed|paid) orders?|checkout (?:completed|complete))\b"
)
BROWSE_EVENT = re.compile(  # an event type that is no order: views, carts, clicks
    r"\b(?:views?|viewed|page ?views?|clicks?|clicked|carts?|addtocart|wishlists?"
    r"|searche?s?|sessions?|visits?|impressions?|add|added|remove|removed|logins?)\b"
)


def order_events(
    raw: pd.DataFrame, mapping: dict[str, str]
) -> tuple[str, list[str], int] | None:
    """A log of events of which only some are orders (views and carts beside purchases,
    as web analytics, Retailrocket and REES46 export them) -> (the event column, the
    values that are orders, the rows of other events), or None. The column is one of
    few values where either the rows without an amount hold values no row with an
    amount holds (an amount on purchases only), or some values read as purchases
    ("purchase", "transaction", "Order Completed") and others as browsing ("view",
    "cart", "page_view"): a price on every event. `keep_values` keeps the orders."""
    blank = blank_cells(raw[mapping[money_role(mapping)]]).to_numpy()
    if "order_id" in mapping and blank.any():  # lines of a priced order, not events
        order = raw[mapping["order_id"]].astype("string").str.strip()
        blank = blank & ~order.isin(order[~blank].dropna()).to_numpy(dtype=bool)
    for column in raw.columns:
        if column in mapping.values() or pd.api.types.is_numeric_dtype(raw[column]):
            continue
        shown = raw[column].astype("string").str.strip()
        text = shown.str.lower()  # keep_values compares case aside
        if text.isna().any() or not 2 <= text.nunique() <= EVENT_LEVELS:
            continue
        if blank.any() and not blank.all():
            if set(text[blank]).isdisjoint(set(text[~blank])):
                return str(column), sorted(set(shown[~blank])), int(blank.sum())
            continue
        words = text.str.replace(r"[_\-]+", " ", regex=True)
        bought = words.str.contains(PURCHASE_EVENT).to_numpy(dtype=bool)
        if bought.any() and words[~bought].str.contains(BROWSE_EVENT).any():
            return str(column), sorted(set(shown[bought])), int((~bought).sum())
    return None


def _empty_keys(
    raw: pd.DataFrame, mapping: dict[str, str], source: str, skip_customer: bool
) -> None:
    """Every row needs a customer (unless rows without one are left out), a date
    and an amount: say which lines lack one, and which lines are short (fewer fields
    than the header) rather than empty."""
    roles = ("date", money_role(mapping), *(() if skip_customer else ("customer",)))
    short = _short_lines(raw)
    needed = [mapping[r] for r in roles]
    short &= raw[needed].isna().any(axis=1)
    problems = []
    if short.any():
        fields = raw.loc[short].notna().sum(axis=1)
        problems.append(
            f"{int(short.sum())} line(s) whose last fields are empty or missing (lines "
            f"{_line_numbers(short)}; e.g. {int(fields.iloc[0])} of the header's "
            f"{raw.shape[1]} fields filled: a line cut short, or a row that is no order)"
        )
    rest = raw.loc[~short]  # a short line is said once, above
    for role in roles:
        empty = blank_cells(rest[mapping[role]])
        if empty.any():
            problems.append(
                f"column '{mapping[role]}' ({role}): {int(empty.sum())} empty value(s) "
                f"(lines {_line_numbers(empty)})"
            )
    if not problems:
        return
    if events := order_events(raw, mapping):
        column, values, rows = events
        problems.append(
            f"'{column}' holds {values} on the rows with an amount and other values on "
            f"the {rows:,} rows without one: if those are no orders (views, carts), "
            f"keep_values: {{{column!r}: {values}}} keeps the orders alone"
        )
    raise InvalidInputError(
        f"{source} has rows without a customer, date or amount:\n  - "
        + "\n  - ".join(problems)
    )


def columns_to_transactions(
    raw: pd.DataFrame | Mapping[str, Any], options: Mapping[str, Any]
) -> pd.DataFrame:
    """Any order table -> the transaction log, through the column mapping in `options`.

    Rows sharing an order id are lines of one order: their amounts and quantities
    are summed. Without an order id, every row is one order, or (`order_from:
    time`) a customer's rows at one time are.
    """
    source = str(options.get("source_name") or "raw orders")
    mapping = _mapping(options)
    raw = one_table(raw).reset_index(drop=True)
    if options.get("count_rows"):  # a log of events (visits, logins) without amounts
        raw = raw.assign(**{ROW_COUNT: 1.0})
    exclude = dict(options.get("exclude_values") or {})
    keep = dict(options.get("keep_values") or {})
    _require(raw, (*mapping.values(), *exclude, *keep), source)
    raw = orders_among_events(raw, keep, source)
    raw = customers_as_spelled(raw, mapping["customer"], options, source)
    if "order_id" in mapping and options.get("order_ids") == "per_customer":
        raw = order_ids_per_customer(raw, mapping)
    raw = _rows_that_happened(raw, exclude, mapping.get("order_id"), source)
    if "order_id" in mapping:
        raw = _order_fields_on_every_line(raw, mapping, source)
    raw, codes = _currencies(raw, mapping[money_role(mapping)], options, source)
    guests = options.get("missing_customers", "error") == "exclude"
    _empty_keys(raw, mapping, source, skip_customer=guests)
    if guests:
        raw = _without_customer_left_out(raw, mapping["customer"], source)
    times = _times(raw, mapping["date"], source, options.get("date_format"))
    # 1001 and 1001.0 (a month whose export had a blank) are one customer
    customers = id_text(raw[mapping["customer"]]).astype(object)
    out = pd.DataFrame(
        {
            "customer_id": customers,
            "order_id": _order_keys(raw, mapping, customers, times, options, source),
            "order_time": times,
            "amount": _numbers(
                raw, mapping[money_role(mapping)], source, options
            ).astype(float),
        }
    )
    if "quantity" in mapping:
        out["items"] = _numbers(raw, mapping["quantity"], source, options).astype(float)
    if money_role(mapping) == "unit_price":  # a line's amount: price times quantity
        out["amount"] = out["amount"] * out["items"]
    if codes is not None:
        out["amount"] = _in_one_currency(out["amount"], codes, options, source)
    if _choice(options, "amount_per", AMOUNT_PER, source) == "order" and (
        "order_id" in mapping
    ):
        out = _one_total_per_order(out, source)
    grouped = bool(out["order_id"].duplicated().any())
    if grouped:  # a discount or return line nets within its order
        out = _orders_from_lines(out, source)
    negative = out["amount"] < 0
    if negative.any() and options.get("negative_amounts", "error") == "exclude":
        logger.warning(
            "%s: %d orders with a negative total left out (negative_amounts: exclude), "
            "e.g. %s",
            source,
            int(negative.sum()),
            f"orders {out.loc[negative, 'order_id'].head(5).tolist()}"
            if grouped
            else f"lines {_line_numbers(negative)}",
        )
        out = out.loc[~negative].reset_index(drop=True)
    return check_transactions(out, source)


ORDER_FROM = ("row", "time")
AMOUNT_PER = ("line", "order")


def _choice(
    options: Mapping[str, Any], key: str, choices: tuple[str, ...], source: str
) -> str:
    """`customer_view.<key>`: one of `choices`, the first by default."""
    value = options.get(key, choices[0])
    if value not in choices:
        raise InvalidInputError(
            f"{source}: customer_view.{key} must be one of {list(choices)}, not {value!r}"
        )
    return str(value)


def _order_keys(
    raw: pd.DataFrame,
    mapping: Mapping[str, str],
    customers: pd.Series,
    times: pd.Series,
    options: Mapping[str, Any],
    source: str,
) -> pd.Series:
    """Each row's order: its order id; without one, the row itself (`order_from:
    row`), or (`order_from: time`) the customer's rows at one time, the lines of one
    basket in a log of product lines without an order number (a grocery's till
    lines: read as orders, each basket counted once per product bought)."""
    if "order_id" in mapping:
        return id_text(raw[mapping["order_id"]]).astype(object)
    if _choice(options, "order_from", ORDER_FROM, source) == "row":
        return pd.Series([f"row-{i}" for i in raw.index], index=raw.index, dtype=object)
    stamp = times.dt.strftime("%Y-%m-%dT%H:%M:%S").astype("string")
    return (customers.astype("string") + " @ " + stamp).astype(object)


def order_total_repeated(amounts: pd.Series, order: pd.Series) -> bool:
    """The amount column is the order's total written on each of its lines (WooCommerce,
    many ERP line exports): every order with two or more amounts, at least
    REPEATED_ORDERS of them, holds one amount on all its lines. Summed, an order of
    three lines would count three times its total."""
    known = amounts.notna() & order.notna()
    per_order = amounts[known].groupby(order[known])
    lines, distinct = per_order.count(), per_order.nunique()
    several = lines >= 2
    return int(several.sum()) >= REPEATED_ORDERS and bool(
        (distinct[several] == 1).all()
    )


REPEATED_ORDERS = 10


def _one_total_per_order(out: pd.DataFrame, source: str) -> pd.DataFrame:
    """`amount_per: order`: each order's total counted once (on its first line); lines of
    one order that hold different amounts stop the run (the column is then each line's
    own amount: `amount_per: line`)."""
    distinct = out.groupby("order_id")["amount"].transform("nunique")
    if (differ := distinct > 1).any():
        orders = out.loc[differ, "order_id"].unique()
        raise InvalidInputError(
            f"{source}: customer_view.amount_per is order (the amount is the order's "
            f"total on each of its lines), but the lines of {len(orders)} order(s) hold "
            f"different amounts, e.g. orders {orders[:5].tolist()}; set amount_per: "
            "line if the column is each line's own amount"
        )
    first = ~out["order_id"].duplicated()
    return out.assign(amount=out["amount"].where(first, 0.0))


def _currencies(
    raw: pd.DataFrame, money: str, options: Mapping[str, Any], source: str
) -> tuple[pd.DataFrame, pd.Series | None]:
    """The log with its amounts' currency codes dropped from the amount column, and
    each row's currency (None without `currency:`): from `currency.column`, which may
    be the amount column itself (`USD 28.65`, `28.65 EUR`, as payment exports write
    them). Codes in the amounts without it stop the run: summed as they stand, USD
    and EUR would be one money."""
    spec = dict(options.get("currency") or {})
    codes, bare = amount_codes(raw[money])
    written = codes.notna()
    if written.any() and spec.get("column") != money:
        counts = dict(codes[written].value_counts().head(5))
        raise InvalidInputError(
            f"{source}: column '{money}' writes a currency with its amounts ({counts}, "
            f"lines {_line_numbers(written)}); set customer_view.currency: {{column: "
            f"'{money}', rates: {{{next(iter(counts))}: 1.0}}}} so that each is read "
            "in its currency (a nightly file in another one then stops the run)"
        )
    if written.any():
        raw = raw.assign(**{money: bare})
    if not spec:
        return raw, None
    if spec.get("column") != money:
        _require(raw, (spec.get("column"),), source)
        codes = raw[spec["column"]].astype("string").str.strip()
    return raw, codes.str.upper()


def _in_one_currency(
    amounts: pd.Series, codes: pd.Series, options: Mapping[str, Any], source: str
) -> pd.Series:
    """`currency: {column, rates}`: each amount times its currency's rate (what one
    unit is worth in the currency the rates are written in), so that a log in several
    currencies sums to one. A currency without a rate stops the run, naming it: a
    nightly file with a currency the draft never saw is not summed as it stands."""
    rates = dict(options["currency"].get("rates") or {})
    bad = {k: v for k, v in rates.items() if v is not None and not _positive(v)}
    if bad:
        raise InvalidInputError(
            f"{source}: customer_view.currency.rates must be positive numbers, not {bad}"
        )
    known = {
        str(k).strip().upper(): float(v) for k, v in rates.items() if v is not None
    }
    rate = codes.reindex(amounts.index).map(known).astype(float)
    unrated = rate.isna() & (amounts.fillna(0) != 0)
    if unrated.any():
        counts = codes.reindex(amounts.index)[unrated].fillna("(blank)").value_counts()
        raise InvalidInputError(
            f"{source}: {int(unrated.sum())} amount(s) in currencies without a rate in "
            f"customer_view.currency.rates: {dict(counts.head(8))} (lines "
            f"{_line_numbers(unrated)}); give each the value of one unit in the "
            f"currency of the others, e.g. {counts.index[0]}: 1.08"
        )
    return amounts * rate.fillna(1.0)


def _positive(value: Any) -> bool:
    try:
        return float(value) > 0
    except (TypeError, ValueError):
        return False


CUSTOMER_ID_CASES = ("exact", "ignore_case")


def customers_as_spelled(
    raw: pd.DataFrame, column: str, options: Mapping[str, Any], source: str
) -> pd.DataFrame:
    """`customer_ids: ignore_case`: ids that differ only in case are one customer
    (`Anna@Example.com` and `anna@example.com`), read lower-cased; `exact` (the
    default) keeps case."""
    if _choice(options, "customer_ids", CUSTOMER_ID_CASES, source) == "exact":
        return raw
    out = raw.copy(deep=False)
    out[column] = raw[column].astype("string").str.strip().str.lower()
    return out


def orders_among_events(
    raw: pd.DataFrame, keep: Mapping[str, Any], source: str
) -> pd.DataFrame:
    """Only the rows whose value in a column is one of `keep_values[column]` (case and
    surrounding spaces aside): the purchases of a log of events. Every other event,
    a type the log did not have when it was drafted too, is left out and counted."""
    kept = np.ones(len(raw), dtype=bool)
    for column, values in keep.items():
        wanted = {str(v).strip().lower() for v in values or []}
        text = raw[column].astype("string").str.strip().str.lower()
        kept &= text.isin(wanted).fillna(False).to_numpy(dtype=bool)
        others = text[~kept].value_counts()
        if len(others):
            logger.info(
                "%s: %d rows of other events than %s in '%s' left out (keep_values): %s",
                source,
                int(others.sum()),
                sorted(wanted),
                column,
                ", ".join(f"{v} {n:,}" for v, n in others.head(8).items()),
            )
    return raw.loc[kept]


def _rows_that_happened(
    raw: pd.DataFrame, exclude: Mapping[str, Any], order_id: str | None, source: str
) -> pd.DataFrame:
    """Rows whose value in a column is one of `exclude_values[column]` (case and
    surrounding spaces aside: cancelled, refunded, voided orders) left out, counted;
    with an order id, every line of such an order (an export may write the status on
    an order's first line only)."""
    gone = np.zeros(len(raw), dtype=bool)
    for column, values in exclude.items():
        wanted = {str(v).strip().lower() for v in values or []}
        text = raw[column].astype("string").str.strip().str.lower()
        hit = text.isin(wanted).fillna(False).to_numpy(dtype=bool)
        if hit.any():
            logger.warning(
                "%s: %d rows with %s in '%s' left out (exclude_values), e.g. lines %s",
                source,
                int(hit.sum()),
                sorted(wanted),
                column,
                _line_numbers(pd.Series(hit, index=raw.index)),
            )
        gone |= hit
    if order_id is not None and gone.any():
        order = raw[order_id].astype("string").str.strip()
        whole = pd.Series(gone, index=raw.index).groupby(order).transform("any")
        lines = whole.reindex(raw.index).fillna(False).to_numpy(dtype=bool) & ~gone
        if lines.any():
            logger.warning(
                "%s: and the %d other lines of those orders", source, int(lines.sum())
            )
        gone |= lines
    return raw.loc[~gone]


def _order_fields_on_every_line(
    raw: pd.DataFrame, mapping: dict[str, str], source: str
) -> pd.DataFrame:
    """Exports that write an order's own fields on its first line only (Shopify: the
    total, the date): a blank customer or date takes the value of another line of the
    same order, a blank amount adds nothing to an order whose other lines have one.
    A blank with no value anywhere in its order stays blank (and is named later)."""
    order = raw[mapping["order_id"]].astype("string").str.strip()
    out, filled = raw, 0
    for role in ("customer", "date", money_role(mapping)):
        column = mapping[role]
        text = raw[column].astype("string").str.strip().replace("", pd.NA)
        blank = text.isna() & order.notna()
        if not blank.any():
            continue
        if role == money_role(mapping):
            has = text.notna().groupby(order).transform("any")
            fill = blank & has.reindex(raw.index).fillna(False).astype(bool)
            zero = 0 if pd.api.types.is_numeric_dtype(raw[column]) else "0"
            value = pd.Series(zero, index=raw.index)
        else:
            value = text.groupby(order).transform("first")
            fill = blank & value.notna()
        if fill.any():
            out = out.copy() if out is raw else out
            out[column] = out[column].astype(object).where(~fill, value)
            filled += int(fill.sum())
    if filled:
        logger.info(
            "%s: %d blank fields of order lines taken from their order's other lines",
            source,
            filled,
        )
    return out


def _without_customer_left_out(
    raw: pd.DataFrame, column: str, source: str
) -> pd.DataFrame:
    """Rows without a customer (guest checkouts: nobody to follow) left out, counted."""
    guest = blank_cells(raw[column])  # on the rows' own index: their file lines
    if guest.any():
        logger.warning(
            "%s: %d of %d rows without a customer in '%s' left out "
            "(missing_customers: exclude), e.g. lines %s",
            source,
            int(guest.sum()),
            len(raw),
            column,
            _line_numbers(guest),
        )
    return raw.loc[~guest.to_numpy()]  # the index stays the file's line


ORDER_KEY = " #"  # customer and order number, for order numbers counted per customer


def order_ids_per_customer(
    raw: pd.DataFrame, mapping: Mapping[str, str]
) -> pd.DataFrame:
    """`order_ids: per_customer`: order numbers count per customer (every customer has
    an order 1), so an order is its customer and number ("C042 #3"). A blank stays blank
    (and is named by the checks after)."""
    customer = raw[mapping["customer"]].astype("string").str.strip()
    number = raw[mapping["order_id"]].astype("string").str.strip()
    both = (customer.fillna("") != "") & (number.fillna("") != "")
    out = raw.copy()
    out[mapping["order_id"]] = number.where(~both, customer + ORDER_KEY + number)
    return out


def _orders_from_lines(lines: pd.DataFrame, source: str) -> pd.DataFrame:
    """One row per order id: the lines' amounts (and items) summed, the first time."""
    customers = lines.groupby("order_id")["customer_id"].nunique()
    if (customers > 1).any():
        shared = customers.index[customers > 1][:5].tolist()
        raise InvalidInputError(
            f"{source}: {int((customers > 1).sum())} order id(s) belong to more than one "
            f"customer, e.g. {shared} (if the log numbers orders per customer, every "
            "customer having an order 1, set customer_view.order_ids: per_customer)"
        )
    sums = {"amount": "sum", "customer_id": "first", "order_time": "min"}
    if "items" in lines:
        sums["items"] = "sum"
    orders = lines.groupby("order_id", sort=False).agg(sums).reset_index()
    logger.info(
        "%s: %d order lines summed into %d orders", source, len(lines), len(orders)
    )
    return orders[[c for c in lines.columns if c in orders.columns]]


def _olist_tables(files: Mapping[str, Any]) -> dict[str, pd.DataFrame]:
    """Load each expected Olist CSV (a PartitionedDataset gives load functions)."""
    missing = [name for name in OLIST_FILES if name not in files]
    if missing:
        raise InvalidInputError(
            f"Olist export incomplete: missing {', '.join(f'{m}.csv' for m in missing)} in data/01_raw/olist/ "
            f"(found {sorted(files)})"
        )
    tables = {}
    for name, columns in OLIST_FILES.items():
        item = files[name]
        table = item() if isinstance(item, Callable) else item
        _require(table, columns, f"{name}.csv")
        tables[name] = table
    return tables


def olist_to_transactions(files: Mapping[str, Any]) -> pd.DataFrame:
    """The six Olist CSVs -> the transaction log: one row per delivered or shipped order,
    keyed by the person (`customer_unique_id`), with delivery, review, payment and category."""
    t = _olist_tables(files)
    orders = t["olist_orders_dataset"]
    customers = t["olist_customers_dataset"].drop_duplicates("customer_id")
    statuses = orders["order_status"].astype(str).str.strip().str.lower()
    kept = orders.loc[statuses.isin(OLIST_PURCHASE_STATUSES)].copy()
    logger.info(
        "Olist: %d orders, %d delivered or shipped (%s dropped as not purchases: %s)",
        len(orders),
        len(kept),
        len(orders) - len(kept),
        statuses[~statuses.isin(OLIST_PURCHASE_STATUSES)].value_counts().to_dict(),
    )
    source = "olist_orders_dataset.csv"
    purchase = _times(kept, "order_purchase_timestamp", source)
    delivered = _times(
        kept, "order_delivered_customer_date", source
    )  # empty until delivered
    estimated = _times(kept, "order_estimated_delivery_date", source)
    person = kept[["customer_id"]].merge(
        customers[["customer_id", "customer_unique_id", "customer_state"]],
        on="customer_id",
        how="left",
    )
    if person["customer_unique_id"].isna().any():
        raise InvalidInputError(
            f"olist_customers_dataset.csv: {int(person['customer_unique_id'].isna().sum())} order(s) have a "
            "customer_id with no customer_unique_id"
        )

    items = t["olist_order_items_dataset"]
    items = items.assign(
        price=_numbers(items, "price", "olist_order_items_dataset.csv"),
        freight=_numbers(items, "freight_value", "olist_order_items_dataset.csv"),
    ).merge(
        t["olist_products_dataset"][
            ["product_id", "product_category_name"]
        ].drop_duplicates("product_id"),
        on="product_id",
        how="left",
    )
    per_order = items.groupby("order_id").agg(
        items=("order_item_id", "size"),
        goods=("price", "sum"),
        freight=("freight", "sum"),
    )
    category = (
        items.dropna(subset=["product_category_name"])
        .groupby("order_id")["product_category_name"]
        .agg(lambda s: s.value_counts().index[0])
    )
    payments = t["olist_order_payments_dataset"]
    payments = payments.assign(
        payment_value=_numbers(
            payments, "payment_value", "olist_order_payments_dataset.csv"
        ),
        payment_installments=_numbers(
            payments, "payment_installments", "olist_order_payments_dataset.csv"
        ),
    )
    pay = (
        payments.sort_values("payment_value", ascending=False)
        .groupby("order_id")
        .agg(
            paid=("payment_value", "sum"),
            payment_type=("payment_type", "first"),  # the type that paid the most
            payment_installments=("payment_installments", "max"),
        )
    )
    reviews = t["olist_order_reviews_dataset"]
    reviews = reviews.assign(
        review_score=_numbers(
            reviews, "review_score", "olist_order_reviews_dataset.csv"
        ),
        created=_times(
            reviews, "review_creation_date", "olist_order_reviews_dataset.csv"
        ),
    )
    review = reviews.sort_values("created").groupby("order_id")["review_score"].last()

    order_ids = kept["order_id"].astype(str).to_numpy()
    goods = per_order.reindex(order_ids)
    paid = pay.reindex(order_ids)
    amount = paid["paid"].to_numpy(dtype=float)
    fallback = (goods["goods"] + goods["freight"]).to_numpy(dtype=float)
    amount = np.where(
        np.isfinite(amount), amount, fallback
    )  # a few orders have no payment row
    delay = (delivered - estimated).dt.total_seconds().to_numpy() / 86400.0
    out = pd.DataFrame(
        {
            "customer_id": person["customer_unique_id"].astype(str).to_numpy(),
            "order_id": order_ids,
            "order_time": purchase.to_numpy(),
            "amount": np.nan_to_num(amount, nan=0.0),
            "items": goods["items"].to_numpy(dtype=float),
            "delivery_delay_days": delay,
            "late_delivery": np.where(
                np.isnan(delay), np.nan, (delay > 0).astype(float)
            ),
            "review_score": review.reindex(order_ids).to_numpy(dtype=float),
            "payment_type": paid["payment_type"].to_numpy(dtype=object),
            "payment_installments": paid["payment_installments"].to_numpy(dtype=float),
            "product_category": category.reindex(order_ids).to_numpy(dtype=object),
            "customer_state": person["customer_state"].astype(str).to_numpy(),
        }
    )
    return check_transactions(out, "Olist export")


ADAPTERS: dict[str, Callable[[Any, Mapping[str, Any]], pd.DataFrame]] = {
    "columns": columns_to_transactions,
    "olist": lambda raw, options: olist_to_transactions(raw),
}
