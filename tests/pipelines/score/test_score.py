"""score: one row out per row in, the same result in any chunking, and bad input handled."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from kedro.io import DatasetError

from risk_segments.datasets import CatBoostModelDataset, ChunkedParquetDataset
from risk_segments.datasets.chunked_parquet_dataset import ParquetChunks
from risk_segments.pipelines.score import create_pipeline
from risk_segments.schema import InvalidInputError
from tests.helpers import ALL_NAMESPACES, TABULAR_NAMESPACES, run_in_memory, run_score


@pytest.fixture(scope="module")
def raw(_trained_dev_catalog):
    return {
        ns: _trained_dev_catalog.load(f"{ns}.raw_table") for ns in TABULAR_NAMESPACES
    }


@pytest.mark.parametrize("namespace", TABULAR_NAMESPACES)
def test_one_row_out_per_row_to_score(trained_dev_catalog, dev_params, raw, namespace):
    schema = dev_params[namespace]["schema"]
    scores, report, monitoring = run_score(
        trained_dev_catalog, dev_params, namespace, raw[namespace]
    )
    if dev_params[namespace]["score"]["rows"] == "newest_snapshot":
        expected = raw[namespace].loc[
            raw[namespace][schema["date_column"]]
            == raw[namespace][schema["date_column"]].max()
        ]
    else:
        expected = raw[namespace]
    assert len(scores) == len(expected) == report["rows_out"] == report["rows_to_score"]
    assert scores[schema["id_column"]].is_unique
    assert set(scores[schema["id_column"]]) == set(expected[schema["id_column"]])
    assert scores["risk_score"].between(0, 1).all()
    assert set(scores["risk_tier"]) <= {"high", "medium", "low"}
    assert scores["segment_name"].notna().all()
    # reasons for every row at or above the review threshold, and only for them
    model = trained_dev_catalog.load(f"{namespace}.risk_model")
    review = scores["risk_score"] >= model.thresholds["review_share"]
    assert scores.loc[review, "reason_1_text"].notna().all()
    assert scores.loc[~review, "reason_1_text"].isna().all()
    assert {"risk_score"} <= set(monitoring["feature"])


def test_scores_do_not_depend_on_chunking(trained_dev_catalog, dev_params, raw):
    whole, _, _ = run_score(
        trained_dev_catalog,
        dev_params,
        "seller_risk",
        raw["seller_risk"],
        chunk_size=10**7,
    )
    chunked, _, _ = run_score(
        trained_dev_catalog,
        dev_params,
        "seller_risk",
        raw["seller_risk"],
        chunk_size=700,
    )
    keys = ["seller_id", "snapshot_date"]
    pd.testing.assert_frame_equal(
        whole.sort_values(keys, ignore_index=True),
        chunked.sort_values(keys, ignore_index=True),
    )


def test_history_chunks_read_from_a_file_keep_every_entity_together(
    trained_dev_catalog, dev_params, raw, tmp_path
):
    """Sellers need their months before: the file is split by entity in one pass."""
    sellers = raw["seller_risk"]
    path = tmp_path / "sellers.parquet"
    ChunkedParquetDataset(filepath=str(path)).save(sellers)
    source = ChunkedParquetDataset(filepath=str(path), chunk_size=700).load()
    parts = list(source.grouped("seller_id", 5))
    assert len(parts) == 5 and sum(len(p) for p in parts) == len(sellers)
    owners = pd.concat([p[["seller_id"]].assign(part=i) for i, p in enumerate(parts)])
    assert owners.groupby("seller_id")["part"].nunique().max() == 1
    in_memory = list(ParquetChunks(sellers, 700).grouped("seller_id", 5))
    assert [len(p) for p in in_memory] == [len(p) for p in parts]
    from_file, _, _ = run_score(
        trained_dev_catalog, dev_params, "seller_risk", source, chunk_size=700
    )
    whole, _, _ = run_score(
        trained_dev_catalog, dev_params, "seller_risk", sellers, chunk_size=10**7
    )
    keys = ["seller_id", "snapshot_date"]
    pd.testing.assert_frame_equal(
        from_file.sort_values(keys, ignore_index=True),
        whole.sort_values(keys, ignore_index=True),
    )


def test_rows_older_than_the_history_window_are_not_read(
    trained_dev_catalog, dev_params, raw, tmp_path
):
    """Sellers score their newest month from the 3 months before it: older months feed
    no feature, so the batch neither reads nor checks them, and counts them."""
    sellers = raw["seller_risk"]
    schema = dev_params["seller_risk"]["schema"]
    months = pd.to_datetime(sellers[schema["date_column"]]).dt.to_period("M")
    since = (months.max() - 3).to_timestamp()
    old = (months < months.max() - 3).to_numpy()
    assert old.any() and (~old).any()  # the dev panel is longer than the window
    clean, _, _ = run_score(
        trained_dev_catalog, dev_params, "seller_risk", sellers.loc[~old]
    )
    broken = sellers.copy()
    column = next(iter(schema["numeric"]))
    broken[column] = broken[column].astype(str)
    broken.loc[old, column] = "not a number"  # would stop the run if it were read
    path = tmp_path / "sellers.parquet"
    ChunkedParquetDataset(filepath=str(path)).save(broken)
    source = ChunkedParquetDataset(filepath=str(path), chunk_size=700).load()
    scored, report, _ = run_score(
        trained_dev_catalog, dev_params, "seller_risk", source, chunk_size=700
    )
    assert report["history_from"] == str(since.date())
    assert report["rows_before_history_window"] == int(old.sum())
    assert report["rows_in"] == len(sellers)
    keys = [schema["id_column"], schema["date_column"]]
    pd.testing.assert_frame_equal(
        scored.sort_values(keys, ignore_index=True),
        clean.sort_values(keys, ignore_index=True),
    )
    # a broken row inside the window stops the run; the message counts the rows read
    broken.loc[np.flatnonzero(~old)[0], column] = "not a number"
    ChunkedParquetDataset(filepath=str(path)).save(broken)
    source = ChunkedParquetDataset(filepath=str(path), chunk_size=700).load()
    with pytest.raises(InvalidInputError, match=f"over {int((~old).sum()):,} rows"):
        run_score(
            trained_dev_catalog, dev_params, "seller_risk", source, chunk_size=700
        )


def test_scoring_streams_from_and_to_parquet(
    trained_dev_catalog, dev_params, raw, tmp_path
):
    ChunkedParquetDataset(filepath=str(tmp_path / "in.parquet")).save(
        raw["customer_churn"]
    )
    source = ChunkedParquetDataset(
        filepath=str(tmp_path / "in.parquet"), chunk_size=1500
    ).load()
    scores, report, _ = run_score(
        trained_dev_catalog, dev_params, "customer_churn", source, chunk_size=1500
    )
    assert report["rows_out"] == len(raw["customer_churn"]) == len(scores)
    out = ChunkedParquetDataset(filepath=str(tmp_path / "out.parquet"))
    out.save(iter([scores.iloc[:100], scores.iloc[100:]]))
    assert out.load().n_rows == len(scores)


def test_chunks_written_behind_keep_their_order_and_a_failure_writes_nothing(
    tmp_path,
):
    """The scores are written in a background thread while the next chunk is made:
    the file holds the chunks in order, and a chunk that fails leaves no file."""
    frame = pd.DataFrame({"id": [f"c{i}" for i in range(50)], "x": np.arange(50.0)})
    target = tmp_path / "out.parquet"
    dataset = ChunkedParquetDataset(filepath=str(target))
    dataset.save(frame.iloc[i : i + 7] for i in range(0, 50, 7))
    pd.testing.assert_frame_equal(
        pd.concat(list(dataset.load()), ignore_index=True), frame
    )

    def failing():
        yield frame.iloc[:10]
        yield frame.iloc[10:20]
        raise ValueError("chunk 3 broke")

    target.unlink()
    with pytest.raises(DatasetError, match="chunk 3 broke"):
        dataset.save(failing())
    assert not target.exists() and list(tmp_path.iterdir()) == []


def test_reading_ahead_yields_every_chunk_then_the_error_where_it_happened():
    from risk_segments.datasets.chunked_parquet_dataset import read_ahead

    def chunks():
        for i in range(3):
            yield pd.DataFrame({"x": [i]})
        raise DatasetError("'in.parquet' could not be read to the end")

    seen = []
    with pytest.raises(DatasetError, match="in.parquet"):
        for chunk in read_ahead(chunks()):
            seen.append(int(chunk["x"].iloc[0]))
    assert seen == [0, 1, 2]
    early = read_ahead(iter([pd.DataFrame({"x": [1]})] * 5))
    assert len(next(early)) == 1
    early.close()  # a reader that stops early does not hang on the chunk read ahead


def test_the_score_pipeline_runs_as_a_pipeline(trained_dev_catalog, tmp_path):
    catalog = trained_dev_catalog
    for ns in ALL_NAMESPACES:
        # a tabular source scores its raw table; an order log scores its customer view
        source = "raw_table" if ns in TABULAR_NAMESPACES else "model_input"
        catalog[f"{ns}.score_input"] = catalog.load(f"{ns}.{source}")
        catalog[f"{ns}.scores"] = ChunkedParquetDataset(
            filepath=str(tmp_path / ns / "scores.parquet"), chunk_size=3000
        )
    run_in_memory(create_pipeline(), catalog)
    for ns in ALL_NAMESPACES:
        summary = catalog.load(f"{ns}.score_summary")
        assert summary["rows_out"] == summary["rows_to_score"] > 0
        assert catalog.load(f"{ns}.scores").n_rows == summary["rows_out"]
        assert len(catalog.load(f"{ns}.score_monitoring")) > 0


# --------------------------------------------------------------------------- bad input

CHURN = "customer_churn"


@pytest.mark.parametrize(
    ("break_table", "message"),
    [
        (
            lambda t: t.drop(columns=["sessions_30d"]),
            r"missing column\(s\) \['sessions_30d'\]",
        ),
        (lambda t: t.head(0), "the table is empty"),
        (
            lambda t: pd.concat([t, t.head(2)]),
            "rows share an \\(customer_id, snapshot_date\\) key",
        ),
        (
            lambda t: t.assign(orders_90d="many"),
            "column 'orders_90d': failed 'coerce_dtype",
        ),
    ],
)
def test_bad_input_stops_the_run_with_a_clear_message(
    trained_dev_catalog, dev_params, raw, break_table, message
):
    with pytest.raises(InvalidInputError, match=message):
        run_score(
            trained_dev_catalog, dev_params, CHURN, break_table(raw[CHURN].copy())
        )


def test_tolerated_input_is_scored_and_counted(trained_dev_catalog, dev_params, raw):
    table = raw[CHURN].copy()
    table["extra_column"] = 1
    table.loc[table.index[:5], "country"] = "Atlantis"
    table.loc[table.index[5:8], "refund_rate"] = 1.5
    table.loc[table.index[8:10], "avg_order_value"] = np.inf
    table.loc[table.index[10:20], "orders_90d"] = np.nan
    table["push_click_rate"] = np.nan
    scores, report, _ = run_score(
        trained_dev_catalog, dev_params, CHURN, table, on_empty_feature="warn"
    )
    assert len(scores) == len(table)
    assert np.isfinite(scores["risk_score"]).all()
    warnings = report["warnings"]
    assert warnings["unseen categories in 'country'"] == 5
    assert warnings["values outside [0, 1] in 'refund_rate'"] == 3
    assert warnings["inf values in 'avg_order_value'"] == 2
    assert warnings["no value at all (all empty) in 'push_click_rate'"] == len(table)


def test_a_value_missing_that_training_never_saw_missing_gets_the_median(
    trained_dev_catalog, dev_params, raw
):
    spec = trained_dev_catalog.load(f"{CHURN}.risk_model").spec
    feature = "orders_90d"
    assert feature in spec["never_missing"]  # always present in the training rows
    table = raw[CHURN].copy()
    rows = table.index[table[feature].notna()][:7]
    gaps, typical = table.copy(), table.copy()
    gaps.loc[rows, feature] = np.nan
    typical.loc[rows, feature] = spec["medians"][feature]
    scored_gaps, report_gaps, _ = run_score(
        trained_dev_catalog, dev_params, CHURN, gaps
    )
    scored_typical, report_typical, _ = run_score(
        trained_dev_catalog, dev_params, CHURN, typical
    )
    np.testing.assert_allclose(scored_gaps["risk_score"], scored_typical["risk_score"])
    added = scored_gaps["imputed_features"] - scored_typical["imputed_features"]
    assert added.sum() == 7
    assert (added.to_numpy()[table.index.get_indexer(rows)] == 1).all()
    key = next(
        k for k in report_gaps["warnings"] if k.startswith("features missing that")
    )
    already = report_typical["warnings"].get(
        key, 0
    )  # tracking-gap customers in the data
    assert report_gaps["warnings"][key] - already == sum(
        scored_typical["imputed_features"].to_numpy()[table.index.get_indexer(rows)]
        == 0
    )


def test_a_truncated_parquet_file_is_refused(raw, tmp_path):
    path = tmp_path / "in.parquet"
    ChunkedParquetDataset(filepath=str(path)).save(raw[CHURN])
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(DatasetError, match="not a readable parquet file"):
        ChunkedParquetDataset(filepath=str(path)).load()


def test_a_missing_or_tampered_model_file_is_refused(trained_dev_catalog, tmp_path):
    path = tmp_path / "risk_model.cbm"
    CatBoostModelDataset(filepath=str(path)).save(
        trained_dev_catalog.load(f"{CHURN}.risk_model")
    )
    path.write_bytes(path.read_bytes()[:-10] + b"0123456789")
    with pytest.raises(DatasetError, match="checksum"):
        CatBoostModelDataset(filepath=str(path)).load()
    path.unlink()
    with pytest.raises(DatasetError, match="missing"):
        CatBoostModelDataset(filepath=str(path)).load()


def test_a_model_trained_on_other_features_is_refused(
    trained_dev_catalog, dev_params, raw
):
    params = {**dev_params, CHURN: {**dev_params[CHURN]}}
    schema = {
        **params[CHURN]["schema"],
        "numeric": {**params[CHURN]["schema"]["numeric"]},
    }
    schema["numeric"]["new_feature"] = [0, None]
    params[CHURN]["schema"] = schema
    with pytest.raises(
        InvalidInputError, match=r"trained on other features.*new_feature"
    ):
        run_score(
            trained_dev_catalog, params, CHURN, raw[CHURN].assign(new_feature=1.0)
        )


def test_a_set_of_the_other_kind_is_refused(trained_dev_catalog, tmp_path):
    """A segments use case's set has no risk model: it round-trips so, and neither
    kind of use case scores with the other's set."""
    from risk_segments.datasets import ArtifactSetDataset
    from risk_segments.modeling.artifacts import ArtifactError, ArtifactSet
    from risk_segments.pipelines.score.nodes import (
        select_artifacts,
        select_segment_artifacts,
    )

    model = trained_dev_catalog.load("customer_churn.risk_model")
    segments = trained_dev_catalog.load("customer_churn.segmentation_model")
    store = ArtifactSetDataset(filepath=str(tmp_path / "sets"), run_id="r1")
    store.save(ArtifactSet(None, segments, {"rows": 1}, {"kind": "segments"}))
    unlabeled = store.load().load()
    assert unlabeled.risk_model is None and unlabeled.run_id == "r1"
    assert not (tmp_path / "sets" / "r1" / "risk_model.cbm").exists()
    chosen, reference = select_segment_artifacts(unlabeled, {})
    assert chosen.n_segments == segments.n_segments and reference == {"rows": 1}
    labeled = ArtifactSet(model, segments, {}, {"run_id": "r2"})
    assert select_artifacts(labeled, {})[0] is model
    with pytest.raises(ArtifactError, match="r1 has no risk model.*kind tabular"):
        select_artifacts(unlabeled, {})
    with pytest.raises(ArtifactError, match="r2 has a risk model.*kind segments"):
        select_segment_artifacts(labeled, {})


def test_duplicated_keys_are_the_rows_dataframe_duplicated_finds():
    from risk_segments.pipelines.score.nodes import _duplicated

    rng = np.random.default_rng(4)
    ids = pd.array([f"C{i}" for i in rng.integers(0, 3000, 5000)], dtype="str")
    dates = pd.to_datetime("2024-01-31") + pd.to_timedelta(
        rng.integers(0, 3, 5000) * 30, unit="D"
    )
    frame = pd.DataFrame({"id": ids, "date": dates})
    expected = frame.duplicated(keep=False).to_numpy()
    assert 0 < expected.sum() < len(frame)  # some keys repeat, most do not
    got = _duplicated(frame["id"].array, frame["date"].to_numpy())
    assert (got == expected).all()


def test_an_input_older_than_the_training_data_stops_the_batch(
    trained_dev_catalog, dev_params, raw
):
    """A panel scored by its newest snapshot, handed last month's extract (or another
    file): its newest month is older than the newest the set was trained on, and it
    was scored as tonight's. It stops, unless `on_old_input: warn` (a backfill)."""
    import copy

    from risk_segments.pipelines.score.nodes import check_score_input, select_artifacts

    p = dev_params["seller_risk"]
    date = p["schema"]["date_column"]
    sellers = raw["seller_risk"]
    dates = pd.to_datetime(sellers[date])
    old = sellers.loc[dates < dates.max()]

    def preflight(rows, **score):
        chosen = trained_dev_catalog.load("seller_risk.artifact_set")
        model, segments, _ = select_artifacts(copy.deepcopy(chosen), p["score"])
        settings = {**p["score"], **score}
        return check_score_input(
            rows, model, segments, p["schema"], p["derived"], settings
        )

    assert preflight(sellers)["older_than_training"] is False
    with pytest.raises(InvalidInputError, match=r"older than the newest the artifacts"):
        preflight(old)
    assert preflight(old, on_old_input="warn")["older_than_training"] is True
