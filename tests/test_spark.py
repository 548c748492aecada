"""The Spark path scores exactly like the pandas path (pyspark is an optional extra)."""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest

from tests.helpers import ALL_NAMESPACES, run_score

pyspark = pytest.importorskip("pyspark", reason="the spark extra is not installed")
if shutil.which("java") is None:  # pragma: no cover - depends on the machine
    pytest.skip("Spark needs Java 17+", allow_module_level=True)


@pytest.fixture(scope="module")
def spark():
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master("local[2]")
        .appName("risk_segments-tests")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.ui.enabled", "false")
        .getOrCreate()
    )
    yield session
    session.stop()


def score_with(catalog, params, namespace, score_input, chunk_size):
    scores, report, _ = run_score(catalog, params, namespace, score_input, chunk_size)
    keys = [
        params[namespace]["schema"]["id_column"],
        params[namespace]["schema"]["date_column"],
    ]
    return scores.sort_values(keys, ignore_index=True), report


@pytest.mark.parametrize("namespace", ALL_NAMESPACES)
def test_spark_scores_equal_pandas_scores(
    trained_dev_catalog, dev_params, spark, namespace
):
    rows = trained_dev_catalog.load(f"{namespace}.model_input")
    by_pandas, report_pandas = score_with(
        trained_dev_catalog, dev_params, namespace, rows, 1500
    )
    by_spark, report_spark = score_with(
        trained_dev_catalog, dev_params, namespace, spark.createDataFrame(rows), 1500
    )
    assert report_spark["engine"] == "spark"
    for key in ("history_from", "rows_before_history_window"):  # the same months read
        assert report_spark.get(key) == report_pandas.get(key)
    if (dev_params[namespace]["derived"] or {}).get("history"):  # a panel: a window
        assert report_spark["rows_before_history_window"] > 0
    assert (
        len(by_spark)
        == len(by_pandas)
        == report_pandas["rows_to_score"]
        == report_spark["rows_out"]
    )
    assert list(by_spark.columns) == list(by_pandas.columns)
    np.testing.assert_allclose(
        by_spark["risk_score"], by_pandas["risk_score"], rtol=0, atol=1e-9
    )
    for column in by_pandas.columns:
        if column == "risk_score" or column.endswith("_contribution"):
            continue
        left = by_spark[column].astype(str).where(by_spark[column].notna(), "<empty>")
        right = (
            by_pandas[column].astype(str).where(by_pandas[column].notna(), "<empty>")
        )
        if column == dev_params[namespace]["schema"]["date_column"]:
            left = pd.to_datetime(by_spark[column]).dt.date.astype(str)
            right = pd.to_datetime(by_pandas[column]).dt.date.astype(str)
        assert (left == right).all(), f"{namespace}: column '{column}' differs"
    for column in [c for c in by_pandas.columns if c.endswith("_contribution")]:
        np.testing.assert_allclose(
            by_spark[column], by_pandas[column], rtol=0, atol=1e-9
        )


def test_spark_refuses_duplicated_keys(trained_dev_catalog, dev_params, spark):
    from risk_segments.schema import InvalidInputError

    rows = trained_dev_catalog.load("customer_churn.model_input").head(300)
    doubled = spark.createDataFrame(pd.concat([rows, rows.head(3)], ignore_index=True))
    with pytest.raises(InvalidInputError, match="share an"):
        score_with(trained_dev_catalog, dev_params, "customer_churn", doubled, 1000)


@pytest.mark.parametrize("written", ["integers", "date_format"])
def test_spark_refuses_dates_it_would_misread(
    trained_dev_catalog, dev_params, spark, written
):
    """Cast to a timestamp, 20240131 is 23 August 1970 and '31/01/2024' is missing:
    the Spark engine stops and says what to do instead."""
    from risk_segments.schema import InvalidInputError

    params = {**dev_params}
    schema = params["seller_risk"]["schema"]
    rows = trained_dev_catalog.load("seller_risk.model_input").head(300)
    date = schema["date_column"]
    if written == "integers":
        rows[date] = rows[date].dt.strftime("%Y%m%d").astype(int)
    else:
        rows[date] = rows[date].dt.strftime("%d/%m/%Y")
        params["seller_risk"] = {
            **params["seller_risk"],
            "schema": {**schema, "date_format": "%d/%m/%Y"},
        }
    # the pandas engine reads them as written: the same scores as the dates gave
    as_dates = trained_dev_catalog.load("seller_risk.model_input").head(300)
    expected, _ = score_with(
        trained_dev_catalog, dev_params, "seller_risk", as_dates, 1000
    )
    got, _ = score_with(trained_dev_catalog, params, "seller_risk", rows, 1000)
    np.testing.assert_array_equal(got["risk_score"], expected["risk_score"])
    with pytest.raises(InvalidInputError, match=r"Spark engine reads .* pandas engine"):
        score_with(
            trained_dev_catalog,
            params,
            "seller_risk",
            spark.createDataFrame(rows),
            1000,
        )


def test_spark_assigns_segments_like_pandas_without_a_model(
    trained_dev_catalog, dev_params, spark
):
    """A segments use case (no risk model) on Spark: the same segments as pandas, and
    the drift of the segments' shares measured (the score's is not there to measure)."""
    from risk_segments.modeling.features import model_features
    from risk_segments.modeling.monitoring import feature_spec, segments_reference
    from risk_segments.pipelines.score.nodes import (
        assign_rows,
        check_segment_input,
        summarise_scoring,
    )

    p = dev_params["customer_churn"]
    schema = {**p["schema"], "label_column": None}
    score = {**p["score"], "chunk_size": 1500}
    rows = trained_dev_catalog.load("customer_churn.model_input").head(3000)
    segments = trained_dev_catalog.load("customer_churn.segmentation_model")
    spec = feature_spec(schema, model_features(schema, p["derived"]))
    reference = segments_reference(rows, segments, spec, schema, score)
    out, sizes = {}, {}
    for engine, data in (("pandas", rows), ("spark", spark.createDataFrame(rows))):
        preflight = check_segment_input(data, segments, schema, p["derived"], score)
        scored, summary = assign_rows(
            data, preflight, segments, reference, schema, p["derived"], {}, score
        )
        frame = scored.toPandas() if engine == "spark" else pd.concat(list(scored))
        report, monitoring, _ = summarise_scoring(summary, score)
        assert report["rows_out"] == len(frame) == len(rows)
        assert "risk_score" not in frame.columns
        assert sum(report["segment_rows"].values()) == len(rows)
        sizes[engine] = report["segment_rows"]
        drift = monitoring.set_index("feature")["psi"]
        assert drift["segment"] < 1e-6  # the training rows themselves: no drift
        out[engine] = frame.set_index(schema["id_column"])["segment"].sort_index()
    pd.testing.assert_series_equal(out["spark"], out["pandas"], check_dtype=False)
    assert sizes["spark"] == sizes["pandas"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda t: t.assign(push_click_rate=np.nan),
            r"feature\(s\) \['push_click_rate'\] arrive with no value at all",
        ),
        (
            lambda t: t.assign(device_type=t["device_type"].str.upper()),
            r"'device_type' arrives with none of the levels training saw",
        ),
    ],
)
def test_spark_stops_on_a_feature_empty_or_recoded_like_pandas(
    trained_dev_catalog, dev_params, spark, change, message
):
    """The Spark engine scored such a night without a word (its checks were the
    pandas engine's only): it now counts them before scoring and stops the same way."""
    from risk_segments.schema import InvalidInputError

    rows = change(trained_dev_catalog.load("customer_churn.model_input").head(300))
    for data in (rows, spark.createDataFrame(rows)):
        with pytest.raises(InvalidInputError, match=message):
            score_with(trained_dev_catalog, dev_params, "customer_churn", data, 1000)
    # a few rows of a new level are scored, as by pandas
    few = trained_dev_catalog.load("customer_churn.model_input").head(300)
    few.loc[few.index[:3], "device_type"] = "IOS"
    got, report = score_with(
        trained_dev_catalog,
        dev_params,
        "customer_churn",
        spark.createDataFrame(few),
        1000,
    )
    assert len(got) == 300 and report["empty_features"] == []
