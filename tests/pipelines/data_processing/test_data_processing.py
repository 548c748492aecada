"""data_processing: the pipeline on dev data, history features, and schema rejections."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from risk_segments.modeling.features import model_features
from risk_segments.pipelines.data_processing import create_pipeline
from risk_segments.pipelines.data_processing.nodes import (
    add_history_features,
    build_model_input,
    validate_raw_table,
)
from risk_segments.schema import InvalidInputError
from tests.helpers import TABULAR_NAMESPACES, in_memory_catalog, run_in_memory

TRUTH_COLUMNS = {"true_probability", "true_archetype", "unlabeled_reason"}


@pytest.fixture(scope="module")
def model_inputs(dev_config):
    catalog = run_in_memory(create_pipeline(), in_memory_catalog(dev_config))
    return {ns: catalog.load(f"{ns}.model_input") for ns in TABULAR_NAMESPACES}, catalog


@pytest.mark.parametrize("namespace", TABULAR_NAMESPACES)
def test_model_input_follows_the_contract(model_inputs, dev_params, namespace):
    tables, catalog = model_inputs
    model_input = tables[namespace]
    params = dev_params[namespace]
    schema = params["schema"]
    raw = catalog.load(f"{namespace}.raw_table")
    assert len(model_input) == len(raw)  # one row out per row in
    expected = [
        schema["id_column"],
        schema["date_column"],
        *model_features(schema, params["derived"]),
        schema["label_column"],
    ]
    assert list(model_input.columns) == expected
    assert not model_input.duplicated(
        [schema["id_column"], schema["date_column"]]
    ).any()
    # labeled and unlabeled rows both made it through the same nodes
    assert model_input[schema["label_column"]].isna().any()
    assert model_input[schema["label_column"]].notna().any()


@pytest.mark.parametrize("namespace", TABULAR_NAMESPACES)
def test_no_truth_column_reaches_model_input(model_inputs, namespace):
    tables, catalog = model_inputs
    truth = catalog.load(f"{namespace}.truth")
    model_input = tables[namespace]
    assert not TRUTH_COLUMNS & set(model_input.columns)
    # nor any column that merely copies the true probability under another name
    numeric = model_input.select_dtypes("number")
    keyed = truth.set_index(list(truth.columns[:2]))["true_probability"]
    aligned = keyed.reindex(
        pd.MultiIndex.from_frame(model_input.iloc[:, :2])
    ).to_numpy()
    for column in numeric.columns:
        values = numeric[column].to_numpy(dtype=float)
        both = np.isfinite(values) & np.isfinite(aligned)
        if both.sum() > 100 and np.std(values[both]) > 0:
            assert abs(np.corrcoef(values[both], aligned[both])[0, 1]) < 0.95, column


def _tiny_panel() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "seller_id": ["a", "a", "a", "a", "b", "b"],
            "snapshot_date": pd.to_datetime(
                [
                    "2025-01-31",
                    "2025-02-28",
                    "2025-03-31",
                    "2025-04-30",
                    "2025-02-28",
                    "2025-04-30",
                ]
            ),
            "late_shipment_rate": [0.1, 0.2, 0.3, 0.5, 0.1, 0.4],
            "orders_30d": [9.0, 19.0, 29.0, 99.0, 0.0, 0.0],
        }
    ).sample(frac=1.0, random_state=0)  # row order must not matter


TINY_SCHEMA = {"id_column": "seller_id", "date_column": "snapshot_date"}
TINY_HISTORY = {
    "history": {
        "lags_months": [1, 3],
        "delta_columns": ["late_shipment_rate"],
        "log_delta_columns": ["orders_30d"],
        "rolling_months": 3,
        "rolling_mean_columns": ["late_shipment_rate"],
    }
}


def test_history_features_compare_with_the_same_entity_months_earlier():
    schema, derived = TINY_SCHEMA, TINY_HISTORY
    out = add_history_features(_tiny_panel(), schema, derived).set_index(
        ["seller_id", "snapshot_date"]
    )
    a_apr = out.loc[("a", pd.Timestamp("2025-04-30"))]
    assert a_apr["late_shipment_rate_delta_1m"] == pytest.approx(0.2)
    assert a_apr["late_shipment_rate_delta_3m"] == pytest.approx(0.4)
    assert a_apr["orders_30d_logchange_1m"] == pytest.approx(np.log(100 / 30))
    # b skipped March: no 1-month look-back in April, and never a look-back into a
    b_apr = out.loc[("b", pd.Timestamp("2025-04-30"))]
    assert np.isnan(b_apr["late_shipment_rate_delta_1m"])
    assert np.isnan(
        out.loc[("a", pd.Timestamp("2025-01-31")), "late_shipment_rate_delta_1m"]
    )
    # 3-month average over the snapshots present: a (Feb, Mar, Apr), b (Apr only, Feb is 2 back)
    assert a_apr["late_shipment_rate_mean_3m"] == pytest.approx((0.2 + 0.3 + 0.5) / 3)
    assert b_apr["late_shipment_rate_mean_3m"] == pytest.approx((0.1 + 0.4) / 2)
    assert len(out) == 6


def test_history_features_for_some_rows_equal_those_of_the_whole_table():
    """Scoring derives the newest snapshot's features only, looking back at the
    months before: the values must be those the whole table gives."""
    schema, derived = TINY_SCHEMA, TINY_HISTORY
    table = _tiny_panel().sample(frac=1, random_state=3).reset_index(drop=True)
    whole = add_history_features(table, schema, derived)
    newest = np.flatnonzero(table["snapshot_date"] == table["snapshot_date"].max())
    some = add_history_features(table, schema, derived, newest)
    assert len(some) == len(newest) == 2
    pd.testing.assert_frame_equal(some, whole.iloc[newest])
    assert some["late_shipment_rate_delta_1m"].notna().sum() == 1  # b skipped March


def test_history_features_are_optional():
    table = _tiny_panel()
    assert add_history_features(table, {}, {"history": None}) is table


@pytest.fixture
def seller_schema(dev_params):
    return dev_params["seller_risk"]["schema"]


@pytest.fixture
def seller_raw(dev_catalog):
    return dev_catalog.load("seller_risk.raw_table").head(500).copy()


@pytest.mark.parametrize(
    ("break_table", "message"),
    [
        (
            lambda t: t.drop(columns=["late_shipment_rate"]),
            "column 'late_shipment_rate': missing",
        ),
        (
            lambda t: t.assign(return_rate=t["return_rate"] + 2),
            "column 'return_rate': failed 'less_than_or_equal_to(1)'",
        ),
        (
            lambda t: t.assign(avg_rating=np.inf),
            "column 'avg_rating': failed 'finite (no inf)'",
        ),
        (
            lambda t: t.assign(orders_30d="many"),
            "column 'orders_30d': failed 'coerce_dtype('float64')'",
        ),
        (
            lambda t: t.assign(marketplace="Atlantis"),
            "column 'marketplace': failed 'isin",
        ),
        (
            lambda t: t.assign(high_risk_60d=2),
            "column 'high_risk_60d': failed 'isin([0, 1])'",
        ),
        (
            lambda t: pd.concat([t, t.head(3)]),
            "rows share an (seller_id, snapshot_date) key",
        ),
        (lambda t: t.head(0), "the table is empty"),
    ],
)
def test_schema_rejects_a_wrong_table_with_a_clear_message(
    seller_raw, seller_schema, break_table, message
):
    with pytest.raises(InvalidInputError) as err:
        validate_raw_table(break_table(seller_raw), seller_schema)
    assert "seller_risk.raw_table" in str(err.value)
    assert message in str(err.value)


def test_unknown_categories_can_be_counted_instead_of_rejected(
    seller_raw, seller_schema, caplog
):
    table = seller_raw.assign(marketplace="Atlantis")
    validated = validate_raw_table(
        table, {**seller_schema, "on_unknown_category": "warn"}
    )
    assert len(validated) == len(table)
    assert "unseen categories in 'marketplace'" in caplog.text


def test_build_model_input_adds_an_empty_label_when_the_source_has_none(
    seller_raw, dev_params
):
    params = dev_params["seller_risk"]
    table = seller_raw.drop(columns=["high_risk_60d"])
    featured = add_history_features(
        validate_raw_table(table, params["schema"]), params["schema"], params["derived"]
    )
    model_input = build_model_input(featured, params["schema"], params["derived"])
    assert model_input["high_risk_60d"].isna().all()
    assert len(model_input) == len(table)
