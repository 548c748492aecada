"""repeat_purchase data_processing: the adapters, and a customer view with no look-ahead."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from kedro.io import DataCatalog

from risk_segments.pipelines.data_processing.customer_view import (
    build_customer_view,
    features_at,
    to_transactions,
)
from risk_segments.pipelines.data_processing.nodes import (
    build_model_input,
    validate_raw_table,
)
from risk_segments.pipelines.data_processing.orders import (
    columns_to_transactions,
    olist_to_transactions,
)
from risk_segments.schema import InvalidInputError
from tests.helpers import PROJECT_ROOT, load_config

FIXTURES = PROJECT_ROOT / "tests" / "fixtures"
SCHEMA = {
    "id_column": "customer_id",
    "date_column": "snapshot_date",
    "label_column": "bought_again_90d",
}
OPTIONS = {
    "first_cutoff": "2020-01-31",
    "every_months": 3,
    "horizon_days": 90,
    "spend_column": "spend_next_90d",
}


def log(rows: list[tuple[str, str, float]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["customer_id", "order_time", "amount"])
    return frame.assign(
        order_id=[f"o{i}" for i in range(len(frame))],
        order_time=pd.to_datetime(frame["order_time"], format="ISO8601"),
    )


ORDERS = log(
    [
        ("a", "2020-01-05", 10.0),
        ("a", "2020-01-31 23:59", 5.0),  # on the cutoff day: a feature, not a label
        ("a", "2020-02-01 00:01", 7.0),  # the day after: a label
        ("b", "2020-01-20", 30.0),
        ("b", "2020-06-01", 12.0),
        ("c", "2020-03-15", 8.0),  # first purchase after the first cutoff
        ("a", "2020-09-30", 1.0),  # the log's last day
    ]
)


def test_the_cdnow_adapter_reads_the_shipped_file_format(tmp_path):
    raw_text = " customer_id  date number_of_cds  dollar_value\r\n 00001 19970101  1   11.77\r\n 00002 19970112  5   77.00\r\n"
    path = tmp_path / "CDNOW_master.txt"
    path.write_bytes(raw_text.encode())
    entry = load_config("base")["catalog"]["repeat_purchase.raw_orders"]
    dataset = DataCatalog.from_config({"orders": {**entry, "path": str(tmp_path)}})
    options = load_config("base")["parameters"]["repeat_purchase"]["customer_view"]
    transactions = columns_to_transactions(dataset.load("orders"), options)
    assert transactions["customer_id"].tolist() == [
        "00001",
        "00002",
    ]  # leading zeros kept
    assert transactions["amount"].tolist() == [11.77, 77.0]
    assert transactions["order_time"].dt.strftime("%Y-%m-%d").tolist() == [
        "1997-01-01",
        "1997-01-12",
    ]


def test_summer_and_winter_offsets_are_one_clock_and_currency_signs_are_dropped():
    raw = pd.DataFrame(
        {
            "who": ["a", "b", "a"],
            "when": [
                "2024-01-15 10:00:00+01:00",  # winter time
                "2024-07-15 10:00:00+02:00",  # summer time
                "2024-03-01 09:30:00",  # no offset: as written
            ],
            "paid": ["1.234,50 €", "12,00 €", "-0,50 €"],
        }
    )
    options = {
        "columns": {"customer": "who", "date": "when", "amount": "paid"},
        "decimal": ",",
        "thousands": ".",
        "negative_amounts": "exclude",
    }
    transactions = columns_to_transactions(raw, options)
    assert transactions["order_time"].astype(str).tolist() == [
        "2024-01-15 09:00:00",
        "2024-07-15 08:00:00",
    ]
    assert transactions["amount"].tolist() == [1234.5, 12.0]  # the return left out


INVOICE_LINES = pd.DataFrame(
    {
        "invoice": ["1001", "1001", "1002", "C1003", "1004", "1005"],
        "who": ["17850", "17850", "", "17850", " ", "13047"],
        "when": ["12/1/2010 8:26"] * 3 + ["12/3/2010 9:00"] * 2 + ["1/2/2011 10:05"],
        "qty": ["6", "2", "12", "-2", "1", "3"],
        "price": ["2.55", "3.39", "0.85", "3.39", "7.95", "bad"],
    }
)
LINE_OPTIONS = {
    "columns": {
        "customer": "who",
        "date": "when",
        "unit_price": "price",
        "quantity": "qty",
        "order_id": "invoice",
    },
    "date_format": "%m/%d/%Y %H:%M",
    "negative_amounts": "exclude",
    "missing_customers": "exclude",
}


def test_invoice_lines_with_a_unit_price_leave_out_guests_and_returns_counted(caplog):
    raw = INVOICE_LINES.assign(price=INVOICE_LINES["price"].replace("bad", "1.00"))
    with caplog.at_level("WARNING"):
        transactions = columns_to_transactions(raw, LINE_OPTIONS)
    # an order's amount is the sum over its lines of price x quantity
    assert transactions["order_id"].tolist() == ["1001", "1005"]
    assert transactions["amount"].tolist() == pytest.approx([6 * 2.55 + 2 * 3.39, 3.0])
    assert transactions["items"].tolist() == [8, 3]
    assert "2 of 6 rows without a customer in 'who' left out" in caplog.text
    assert "lines [4, 6]" in caplog.text  # the file's own lines (1 is the header)
    assert "1 orders with a negative total left out" in caplog.text
    assert "orders ['C1003']" in caplog.text
    with pytest.raises(InvalidInputError, match=r"'who' \(customer\): 2 empty"):
        columns_to_transactions(raw, {**LINE_OPTIONS, "missing_customers": "error"})


def test_a_discount_line_nets_within_its_order():
    raw = pd.DataFrame(
        {
            "order": ["A", "A", "B"],
            "who": ["x", "x", "y"],
            "when": ["2024-01-05", "2024-01-05", "2024-01-06"],
            "paid": ["30.00", "-5.00", "12.00"],  # A: a 5.00 discount line
        }
    )
    options = {
        "columns": {"customer": "who", "date": "when", "amount": "paid"},
        "negative_amounts": "error",  # no order's total is negative
    }
    options["columns"]["order_id"] = "order"
    transactions = columns_to_transactions(raw, options)
    assert transactions["amount"].tolist() == [25.0, 12.0]
    with pytest.raises(InvalidInputError, match="1 negative value"):  # without ids
        columns_to_transactions(
            raw,
            {
                **options,
                "columns": {"customer": "who", "date": "when", "amount": "paid"},
            },
        )


def test_guest_lines_are_named_after_other_rows_were_left_out(caplog):
    """exclude_values drops an order (its 2 lines) first: the guests are still named
    by their file lines."""
    raw = INVOICE_LINES.assign(
        price=INVOICE_LINES["price"].replace("bad", "1.00"),
        status=["void", "", "", "", "", ""],
    )
    options = {**LINE_OPTIONS, "exclude_values": {"status": ["void"]}}
    with caplog.at_level("WARNING"):
        columns_to_transactions(raw, options)
    assert "2 of 4 rows without a customer in 'who' left out" in caplog.text
    assert "lines [4, 6]" in caplog.text


def test_a_bad_value_after_guests_are_left_out_names_its_file_line():
    with pytest.raises(InvalidInputError, match=r"'price'.*\['bad'\].*lines \[7\]"):
        columns_to_transactions(INVOICE_LINES, LINE_OPTIONS)


@pytest.mark.parametrize(
    ("columns", "missing"),
    [
        ({"amount": "price", "unit_price": "price", "quantity": "qty"}, "exactly one"),
        ({"unit_price": "price"}, "unit_price needs it"),
        ({}, "exactly one"),
    ],
)
def test_the_money_column_is_mapped_once(columns, missing):
    options = {"columns": {"customer": "who", "date": "when", **columns}}
    with pytest.raises(InvalidInputError, match=missing):
        columns_to_transactions(INVOICE_LINES, options)


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        # a day above 12 further down: day-first (the first value alone looks month-first)
        (["03/04/2024", "25/04/2024", "07/05/2024"], ["2024-04-03", "2024-04-25"]),
        # no day above 12: the reading that spreads the orders over more months
        (["01/02/2024", "01/03/2024", "01/04/2024"], ["2024-02-01", "2024-03-01"]),
    ],
)
def test_a_log_without_date_format_reads_the_format_every_value_fits(written, expected):
    raw = pd.DataFrame({"who": ["a", "b", "c"], "when": written, "paid": [1, 2, 3]})
    options = {"columns": {"customer": "who", "date": "when", "amount": "paid"}}
    transactions = columns_to_transactions(raw, options)
    got = transactions["order_time"].dt.strftime("%Y-%m-%d").tolist()
    assert got[:2] == expected


def test_a_bad_cdnow_date_is_named():
    raw = pd.DataFrame(
        {
            "customer_id": ["1"],
            "date": ["1997-13-01"],
            "number_of_cds": [1],
            "dollar_value": [3.0],
        }
    )
    with pytest.raises(InvalidInputError, match="'date'.*1997-13-01"):
        columns_to_transactions(
            raw, load_config("base")["parameters"]["repeat_purchase"]["customer_view"]
        )


def test_labels_come_from_the_horizon_after_the_cutoff_only():
    view, spend = build_customer_view(ORDERS, OPTIONS, SCHEMA)
    first = view.loc[view["snapshot_date"] == "2020-01-31"].set_index("customer_id")
    assert sorted(first.index) == ["a", "b"]  # c had not bought yet
    assert first.loc["a", "orders"] == 2 and first.loc["a", "monetary_total"] == 15.0
    assert first.loc["a", "recency_days"] == 0
    assert (
        first.loc["a", "bought_again_90d"] == 1
        and first.loc["b", "bought_again_90d"] == 0
    )
    spent = spend.set_index(["customer_id", "snapshot_date"])["spend_next_90d"]
    assert spent[("a", pd.Timestamp("2020-01-31"))] == 7.0
    # the cutoff whose horizon passes the end of the log is unlabeled; the last day is a cutoff
    open_rows = view.loc[view["bought_again_90d"].isna(), "snapshot_date"].unique()
    assert [str(pd.Timestamp(d).date()) for d in open_rows] == [
        "2020-07-31",
        "2020-09-30",
    ]
    assert len(spend) == view["bought_again_90d"].notna().sum()
    assert (
        "spend_next_90d" not in view.columns
    )  # the second target never reaches model_input


def test_features_do_not_change_when_the_future_changes():
    rng = np.random.default_rng(0)
    n = 400
    orders = log(
        [
            (
                f"c{rng.integers(60)}",
                str(pd.Timestamp("2020-01-01") + pd.Timedelta(minutes=int(m))),
                float(rng.gamma(2, 20)),
            )
            for m in rng.integers(0, 60 * 24 * 300, n)
        ]
    )
    cutoff = pd.Timestamp("2020-04-30")
    before = features_at(orders, cutoff)
    future = orders["order_time"] >= cutoff + pd.Timedelta(days=1)
    changed = orders.copy()
    changed.loc[future, "amount"] *= 10
    changed = pd.concat(
        [changed, log([("c1", "2020-05-02", 999.0)]).assign(order_id="extra")]
    )
    pd.testing.assert_frame_equal(before, features_at(changed, cutoff))


@pytest.fixture(scope="module")
def olist_files():
    entry = load_config("olist")["catalog"]["repeat_purchase.raw_orders"]
    catalog = DataCatalog.from_config(
        {"orders": {**entry, "path": str(FIXTURES / "olist")}}
    )
    return catalog.load("orders")


def test_the_olist_adapter_follows_the_kaggle_schema(olist_files):
    orders = pd.read_csv(FIXTURES / "olist" / "olist_orders_dataset.csv", dtype=str)
    customers = pd.read_csv(
        FIXTURES / "olist" / "olist_customers_dataset.csv", dtype=str
    )
    transactions = olist_to_transactions(olist_files)
    kept = orders["order_status"].isin(["delivered", "shipped"])
    assert len(transactions) == kept.sum()  # canceled orders are not purchases
    assert set(transactions["order_id"]) == set(orders.loc[kept, "order_id"])
    # a person is customer_unique_id: several per-order customer_ids fold into one
    assert transactions["customer_id"].nunique() < transactions["order_id"].nunique()
    assert set(transactions["customer_id"]) <= set(customers["customer_unique_id"])
    assert (
        transactions["order_id"].str.match(r"^[0-9a-f]{32}$").all()
    )  # quoted ids read intact
    shipped = transactions["order_id"].isin(
        orders.loc[orders["order_status"] == "shipped", "order_id"]
    )
    assert (
        shipped.any() and transactions.loc[shipped, "delivery_delay_days"].isna().all()
    )  # not delivered yet
    assert transactions.loc[~shipped, "delivery_delay_days"].notna().all()
    assert set(transactions["payment_type"]) <= {
        "credit_card",
        "boleto",
        "voucher",
        "debit_card",
        "not_defined",
    }
    assert (
        transactions["review_score"].between(1, 5).sum()
        == transactions["review_score"].notna().sum()
    )


def test_the_olist_customer_view_meets_the_model_input_contract(olist_files):
    params = load_config("olist")["parameters"]["repeat_purchase"]
    schema = params["schema"]
    transactions = to_transactions(olist_files, {"source": "olist"})
    view, _ = build_customer_view(
        transactions, {**params["customer_view"], "first_cutoff": "2017-06-30"}, schema
    )
    model_input = build_model_input(
        validate_raw_table(view, schema), schema, params["derived"]
    )
    assert len(model_input) == len(view)
    for column in (
        "review_score_avg",
        "late_delivery_share",
        "payment_type_main",
        "customer_state",
        "product_category_last",
    ):
        assert column in model_input.columns
    assert (
        model_input.groupby("snapshot_date")["customer_id"]
        .apply(lambda s: s.is_unique)
        .all()
    )


def test_a_missing_olist_file_is_named(olist_files):
    partial = {
        k: v for k, v in olist_files.items() if k != "olist_order_reviews_dataset"
    }
    with pytest.raises(InvalidInputError, match="olist_order_reviews_dataset.csv"):
        olist_to_transactions(partial)
