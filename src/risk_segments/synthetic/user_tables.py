"""Tables in the shapes users bring, for tests and benchmarks of `kedro draft-use-case`.

Not a use case of the project: stand-ins for a user's own files, made in the
awkward shapes real exports have, so the drafting command and the generic
paths are exercised on something no built-in fixture looks like.

* `churn_table`: one row per customer like a public telecom churn export: ids
  with dashes, a Yes/No label, no date, blank strings in a numeric column, an
  integer 0/1 column among text categoricals, a free-text column, optionally a
  column that leaks the label and some unlabeled rows.
* `order_log`: a transaction log with its own column names, ISO timestamps with
  times, prefixed customer ids, shuffled rows, an extra column and multi-line
  orders (one basket id over several lines).
* `line_item_log`: the order log as a shop's invoice lines export it (the shape of
  the UCI "Online Retail" file): a unit price and a quantity per line (no line
  total), month-first times without zero padding (`12/1/2010 8:26`), guest
  invoices without a customer id, and cancellations (`C` invoices, negative
  quantities).
* `shop_export`: an online shop's order export (the Shopify shape): one row per
  line item, the order's own fields (total, status, creation time) on its first
  line only, times with a UTC offset, refunded and voided orders.
* `application_table`: a wide credit application table (the Home Credit shape):
  about 120 columns, numbers that rows miss in overlapping blocks (the building
  and bureau fields), long-tailed amounts, a days-employed column coded 365243 for
  "not employed", text categoricals of 2-58 levels, a rare 0/1 TARGET drawn from a
  known model, whose probability it returns beside the table (the oracle).
* `write_european_export`: either written as a European spreadsheet saves it
  (';', decimal comma, day-first dates, Windows-1252).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

WORDS = (
    "asked about bill router slow moved house price rise discount called twice "
    "happy upgrade outage refund technician visit contract renewal roaming"
).split()


def churn_table(
    n_rows: int = 7043,
    seed: int = 0,
    *,
    n_unlabeled: int = 0,
    leak: bool = False,
) -> pd.DataFrame:
    """A customer table with a Yes/No churn label drawn from a known logistic model."""
    rng = np.random.default_rng(seed)
    contract = rng.choice(
        ["Month-to-month", "One year", "Two year"], n_rows, p=[0.55, 0.21, 0.24]
    )
    internet = rng.choice(["DSL", "Fiber optic", "No"], n_rows, p=[0.34, 0.44, 0.22])
    payment = rng.choice(
        [
            "Electronic check",
            "Mailed check",
            "Bank transfer (automatic)",
            "Credit card (automatic)",
        ],
        n_rows,
    )
    senior = (rng.random(n_rows) < 0.16).astype(int)
    tenure = np.clip(
        rng.gamma(1.2 + 1.5 * (contract != "Month-to-month"), 18), 0, 72
    ).astype(int)
    monthly = np.round(
        np.clip(
            20
            + 45 * (internet == "Fiber optic")
            + 25 * (internet == "DSL")
            + rng.normal(0, 12, n_rows),
            18.25,
            118.75,
        ),
        2,
    )
    total = np.round(monthly * tenure * rng.uniform(0.95, 1.05, n_rows), 2)
    logit = (
        -1.2
        + 1.4 * (contract == "Month-to-month")
        - 0.9 * (contract == "Two year")
        + 0.8 * (internet == "Fiber optic")
        + 0.5 * (payment == "Electronic check")
        + 0.4 * senior
        - 0.035 * tenure
        + 0.01 * (monthly - 60)
    )
    churn = rng.random(n_rows) < 1 / (1 + np.exp(-logit))
    ids = [
        f"{rng.integers(1000, 9999)}-{''.join(rng.choice(list('ABCDEFGHIJKLMNOPQRSTUVWXYZ'), 5))}"
        for _ in range(n_rows)
    ]
    table = pd.DataFrame(
        {
            "customerID": ids,
            "gender": rng.choice(["Female", "Male"], n_rows),
            "SeniorCitizen": senior,
            "Partner": rng.choice(["Yes", "No"], n_rows),
            "Dependents": rng.choice(["Yes", "No"], n_rows, p=[0.3, 0.7]),
            "tenure": tenure,
            "PhoneService": rng.choice(["Yes", "No"], n_rows, p=[0.9, 0.1]),
            "InternetService": internet,
            "Contract": contract,
            "PaperlessBilling": rng.choice(["Yes", "No"], n_rows, p=[0.6, 0.4]),
            "PaymentMethod": payment,
            "MonthlyCharges": monthly,
            # a new customer has no total yet: the export writes a blank
            "TotalCharges": np.where(tenure == 0, " ", total.astype(str)),
            "notes": [" ".join(rng.choice(WORDS, 4)) + f" #{i}" for i in range(n_rows)],
            "Churn": np.where(churn, "Yes", "No").astype(object),
        }
    )
    table["customerID"] = (
        table["customerID"] + "-" + pd.Series(range(n_rows)).astype(str)
    )
    if leak:  # filled in only after a customer left: it gives the answer away
        table["cancel_code"] = np.where(
            churn, rng.choice(["C1", "C2", "C3"], n_rows), None
        )
    if n_unlabeled:
        table.loc[table.index[-n_unlabeled:], "Churn"] = ""
    return table


def order_log(
    n_customers: int = 2000,
    seed: int = 0,
    *,
    start: str = "2022-01-01",
    days: int = 730,
) -> pd.DataFrame:
    """A shuffled transaction log: customers buy at their own rate until they lapse."""
    rng = np.random.default_rng(seed)
    t0 = pd.Timestamp(start)
    rows = []
    for c in range(n_customers):
        first = rng.uniform(0, days * 0.6)
        rate = rng.gamma(0.8, 1 / 45)  # purchases per day while active
        alive = rng.exponential(rng.choice([90, 400, 2000]))
        spend = rng.lognormal(3.2, 0.6)
        t = first
        basket = 0
        while t < min(days, first + alive):
            lines = rng.integers(1, 4)
            for _ in range(lines):
                rows.append(
                    (
                        f"CUST-{c:05d}",
                        t0 + pd.Timedelta(seconds=float(t) * 86400),
                        round(float(spend * rng.uniform(0.5, 1.5)) / lines, 2),
                        int(rng.integers(1, 4)),
                        f"B{c:05d}-{basket:03d}",
                        rng.choice(["Online", "Store 12", "Store 7"]),
                    )
                )
            basket += 1
            t += rng.exponential(1 / max(rate, 1e-4))
    log = pd.DataFrame(
        rows,
        columns=["Client Ref", "Purchased At", "Total (EUR)", "Qty", "Basket", "Store"],
    )
    log["Purchased At"] = log["Purchased At"].dt.strftime("%Y-%m-%dT%H:%M:%S")
    return log.sample(frac=1.0, random_state=seed).reset_index(drop=True)


def line_item_log(n_customers: int = 2000, seed: int = 0) -> pd.DataFrame:
    """Invoice lines: InvoiceNo, StockCode, Description, Quantity, InvoiceDate,
    UnitPrice, CustomerID (blank on guest invoices), Country."""
    rng = np.random.default_rng(seed + 1)
    log = order_log(n_customers, seed).sort_values("Purchased At", kind="stable")
    basket = log["Basket"].to_numpy()
    guest_baskets = pd.unique(basket)[rng.random(len(pd.unique(basket))) < 0.2]
    guest = np.isin(basket, guest_baskets)
    invoice = pd.Series(basket).rank(method="dense").astype(int) + 536000
    lines = pd.DataFrame(
        {
            "InvoiceNo": invoice.astype(str).to_numpy(),
            "StockCode": rng.integers(10000, 90000, len(log)).astype(str),
            "Description": rng.choice(WORDS, len(log)),
            "Quantity": log["Qty"].to_numpy(),
            "InvoiceDate": pd.to_datetime(log["Purchased At"]).to_numpy(),
            "UnitPrice": np.round(log["Total (EUR)"].to_numpy() / log["Qty"], 2),
            "CustomerID": np.where(guest, "", log["Client Ref"].str[5:].to_numpy()),
            "Country": rng.choice(["United Kingdom", "France", "EIRE"], len(log)),
        }
    )
    back = lines[~guest & (rng.random(len(lines)) < 0.03)].copy()  # cancellations
    back["InvoiceNo"] = "C" + back["InvoiceNo"]
    back["Quantity"] = -back["Quantity"]
    back["InvoiceDate"] += pd.Timedelta(days=2)
    lines = pd.concat([lines, back]).sort_values("InvoiceDate", kind="stable")
    stamp = lines["InvoiceDate"]
    lines["InvoiceDate"] = [
        f"{t.month}/{t.day}/{t.year} {t.hour}:{t.minute:02d}" for t in stamp
    ]
    return lines.reset_index(drop=True)


def shop_export(n_customers: int = 2000, seed: int = 0) -> pd.DataFrame:
    """Name (#1001), Email, Financial Status, Created at, Total, Lineitem quantity,
    Lineitem price, Lineitem name; order fields on the first line of each order."""
    rng = np.random.default_rng(seed + 2)
    log = order_log(n_customers, seed).sort_values(["Basket", "Purchased At"])
    first = ~log["Basket"].duplicated().to_numpy()
    order_no = log["Basket"].rank(method="dense").astype(int).to_numpy() + 1000
    total = log.groupby("Basket")["Total (EUR)"].transform("sum").round(2)
    n_orders = int(first.sum())
    status = rng.choice(["paid", "refunded", "voided"], n_orders, p=[0.9, 0.07, 0.03])
    stamp = pd.to_datetime(log["Purchased At"]).dt.strftime("%Y-%m-%d %H:%M:%S -0500")
    out = pd.DataFrame(
        {
            "Name": [f"#{n}" for n in order_no],
            "Email": log["Client Ref"].str.lower().str.replace("cust-", "c")
            + "@example.com",
            "Financial Status": "",
            "Created at": np.where(first, stamp, ""),
            "Total": np.where(first, total.map("{:.2f}".format), ""),
            "Lineitem quantity": log["Qty"].to_numpy(),
            "Lineitem price": log["Total (EUR)"].to_numpy(),
            "Lineitem name": rng.choice(WORDS, len(log)),
        }
    )
    out.loc[first, "Financial Status"] = status
    return out.reset_index(drop=True)


def write_european_export(
    table: pd.DataFrame,
    path: str,
    *,
    dates: dict[str, str] | None = None,
    numbers: tuple[str, ...] = (),
) -> None:
    """Write a table as a European spreadsheet exports it: ';' between fields, a
    decimal comma with '.' between thousands (1.234,50), dates in a local format
    (`dates`: column -> strftime format, read from ISO text) and Windows-1252 text."""
    out = table.copy()
    for column, fmt in (dates or {}).items():
        out[column] = pd.to_datetime(out[column]).dt.strftime(fmt)
    for column in numbers:  # blank stays blank
        out[column] = [
            f"{v:,.2f}".replace(",", " ").replace(".", ",").replace(" ", ".")
            if np.isfinite(v)
            else ""
            for v in pd.to_numeric(out[column], errors="coerce")
        ]
    out.to_csv(path, sep=";", index=False, encoding="cp1252")


def application_table(
    n_rows: int = 307_511, seed: int = 0, n_numeric: int = 100, n_categorical: int = 16
) -> tuple[pd.DataFrame, pd.Series]:
    """A wide application table and the true probability of its TARGET (per row)."""
    rng = np.random.default_rng(seed)
    traits = rng.normal(size=(n_rows, 5))  # what the columns are readings of
    columns: dict[str, np.ndarray] = {
        "SK_ID_CURR": np.arange(100_002, 100_002 + n_rows)
    }
    blocks = rng.random((n_rows, 4)) < [0.0, 0.15, 0.45, 0.65]  # rows missing a block
    for j in range(n_numeric):
        value = traits[:, j % 5] * rng.uniform(0.3, 1.5) + rng.normal(size=n_rows)
        if j % 4 == 0:  # amounts: long right tail
            value = np.exp(value)
        value = np.round(value * 1000, 2)
        value[blocks[:, j % 4] | (rng.random(n_rows) < 0.02)] = np.nan
        columns[f"FEAT_{j:03d}"] = value
    employed = rng.random(n_rows) >= 0.18
    columns["DAYS_EMPLOYED"] = np.where(
        employed, -np.round(rng.gamma(2, 1500 * np.exp(0.4 * traits[:, 1]))), 365243
    )
    for j in range(n_categorical):
        levels = np.array([f"L{j}_{k}" for k in range(int(rng.integers(2, 58)))])
        draw = rng.integers(0, len(levels), n_rows)
        if j == 3:  # one category carries signal: its first level is riskier
            draw = np.where(traits[:, 3] > 1.0, 0, draw)
        columns[f"CAT_{j:02d}"] = levels[draw]
    logit = (
        -3.0
        + 0.6 * traits[:, 0]
        - 0.5 * traits[:, 2]
        + 0.4 * traits[:, 3]
        + 0.5 * ~employed
    )
    probability = pd.Series(1 / (1 + np.exp(-logit)), name="true_probability")
    columns["TARGET"] = (rng.random(n_rows) < probability).astype(int)
    return pd.DataFrame(columns), probability
