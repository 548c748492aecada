"""Bad input, case by case: each ends in a clear error that names the column, the
dataset or the file, or in a counted warning with one score row per input row.
Nothing is silent."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from kedro.io import DatasetError

from risk_segments.datasets import ArtifactSetDataset, ChunkedParquetDataset
from risk_segments.hooks import ScoreStatusHook
from risk_segments.modeling.artifacts import ArtifactError, keys_fingerprint
from risk_segments.modeling.features import validate_raw_table
from risk_segments.pipelines.data_processing.customer_view import (
    build_customer_view,
    to_transactions,
)
from risk_segments.pipelines.data_processing.orders import columns_to_transactions
from risk_segments.schema import InvalidInputError
from risk_segments.synthetic import CustomerBaseConfig, generate_customer_base
from tests.helpers import run_score

CHURN, SELLER = "customer_churn", "seller_risk"


@pytest.fixture(scope="module")
def raw(_trained_dev_catalog):
    return {ns: _trained_dev_catalog.load(f"{ns}.raw_table") for ns in (CHURN, SELLER)}


def _score(catalog, params, namespace, table, **overrides):
    return run_score(catalog, params, namespace, table, chunk_size=1500, **overrides)


def _set_ids(t, rows, value):
    t = t.copy()
    t["customer_id"] = t["customer_id"].astype(object)
    t.loc[t.index[rows], "customer_id"] = value
    return t


# --------------------------------------------------------------------------- score: stops

STOPS = {
    "missing column": (
        lambda t: t.drop(columns=["sessions_30d"]),
        r"customer_churn\.score_input: missing column\(s\) \['sessions_30d'\]",
    ),
    "renamed column": (  # a nightly export that writes the name its own way
        lambda t: t.rename(columns={"sessions_30d": "Sessions 30d"}),
        r"missing column\(s\) \['sessions_30d'\] that the model needs; renamed\? the "
        r"file has 'sessions_30d' as 'Sessions 30d'",
    ),
    "mistyped column, counted over the whole input": (
        lambda t: t.assign(orders_90d=["many"] * len(t)),
        r"customer_churn\.score_input does not match its schema \(1 problem\(s\) over "
        r"{n:,} rows\):\n  - column 'orders_90d': failed 'coerce_dtype.*in {n} rows",
    ),
    "empty table": (
        lambda t: t.head(0),
        r"customer_churn\.score_input.*table is empty",
    ),
    "duplicate keys": (
        lambda t: pd.concat([t, t.head(2)]),
        r"4 rows share an \(customer_id, snapshot_date\) key",
    ),
    "one null id": (
        lambda t: _set_ids(t, [3], None),
        r"1 row\(s\) have no id in 'customer_id' \(row 4\)",
    ),
    "ten null ids are not duplicate keys": (
        lambda t: _set_ids(t, list(range(10)), np.nan),
        r"10 row\(s\) have no id in 'customer_id'",
    ),
    "blank ids": (
        lambda t: _set_ids(t, [0, 1], "  "),
        r"2 row\(s\) have no id",
    ),
    "all-empty feature the model uses": (
        lambda t: t.assign(push_click_rate=np.nan),
        r"feature\(s\) \['push_click_rate'\] arrive with no value at all",
    ),
    # a recoded column (upper-cased upstream): every row an unseen level was counted
    # and scored as if the feature were missing
    "a categorical recoded, none of its levels known": (
        lambda t: t.assign(device_type=t["device_type"].str.upper()),
        r"'device_type' arrives with none of the levels training saw \('ios', "
        r"'android', 'desktop', 'mobile_web'\), in every row",
    ),
    "future dates": (
        lambda t: t.assign(snapshot_date=pd.Timestamp("2031-01-31")),
        r"{n} row\(s\) dated after the as-of date 2026-11-23.*future_rows: exclude",
    ),
    "unparsable dates": (
        lambda t: t.assign(
            snapshot_date=["31/31/2025"] + ["2025-11-30"] * (len(t) - 1)
        ),
        r"customer_churn\.score_input: column 'snapshot_date' has 1 unreadable date\(s\), "
        r"e\.g\. \['31/31/2025'\]",
    ),
}


@pytest.mark.parametrize("case", sorted(STOPS))
def test_bad_score_input_stops_with_a_message_naming_it(
    trained_dev_catalog, dev_params, raw, case
):
    breaker, message = STOPS[case]
    dev_params[CHURN]["schema"]["as_of"] = "2026-11-23"
    table = breaker(raw[CHURN].copy())
    with pytest.raises(InvalidInputError, match=message.format(n=len(table))):
        _score(trained_dev_catalog, dev_params, CHURN, table)


# --------------------------------------------------------------------------- score: counted

COUNTED = {
    "extra column": (lambda t: t.assign(extra_column=1), None, 0),
    "a label value training never saw (scoring never reads the label)": (
        lambda t: t.assign(
            churned_60d=np.where(t.index < 4, "pending", t["churned_60d"].astype(str))
        ),
        None,
        0,
    ),
    "out of range": (
        lambda t: t.assign(refund_rate=np.where(t.index < 3, 1.5, t["refund_rate"])),
        "values outside [0, 1] in 'refund_rate'",
        3,
    ),
    "unseen level": (
        lambda t: t.assign(country=np.where(t.index < 5, "Atlantis", t["country"])),
        "unseen categories in 'country'",
        5,
    ),
    "inf": (
        lambda t: t.assign(
            avg_order_value=np.where(t.index < 2, np.inf, t["avg_order_value"])
        ),
        "inf values in 'avg_order_value'",
        2,
    ),
}


@pytest.mark.parametrize("case", sorted(COUNTED))
def test_tolerable_input_is_scored_one_row_per_row_and_counted(
    trained_dev_catalog, dev_params, raw, case
):
    breaker, warning, count = COUNTED[case]
    table = breaker(raw[CHURN].copy())
    scores, report, _ = _score(trained_dev_catalog, dev_params, CHURN, table)
    assert len(scores) == len(table) == report["rows_out"]
    if warning:
        assert report["warnings"][warning] == count


def test_an_empty_feature_can_be_accepted_and_is_then_counted(
    trained_dev_catalog, dev_params, raw
):
    table = raw[CHURN].assign(push_click_rate=np.nan)
    scores, report, _ = _score(
        trained_dev_catalog, dev_params, CHURN, table, on_empty_feature="warn"
    )
    assert len(scores) == len(table)
    assert report["empty_features"] == ["push_click_rate"]


def test_future_rows_can_be_left_out_and_counted(trained_dev_catalog, dev_params, raw):
    """Five sellers dated 2031 must not become 'the newest snapshot'."""
    dev_params[SELLER]["schema"].update(as_of="2026-11-23", future_rows="exclude")
    table = raw[SELLER].copy()
    newest = table["snapshot_date"].max()
    expected = int((table["snapshot_date"] == newest).sum())
    late = table.loc[table["snapshot_date"] == newest].head(5).copy()
    late["snapshot_date"] = pd.Timestamp("2031-05-31")
    scores, report, _ = _score(
        trained_dev_catalog, dev_params, SELLER, pd.concat([table, late])
    )
    assert len(scores) == expected and report["rows_left_out_future"] == 5
    assert (scores["snapshot_date"] == newest).all()


def test_history_rows_are_not_counted_in_the_warnings(
    trained_dev_catalog, dev_params, raw
):
    table = raw[SELLER].copy()
    oldest = table["snapshot_date"] == table["snapshot_date"].min()
    table.loc[oldest, "marketplace"] = "XX"  # only in a month that is never scored
    _, report, _ = _score(trained_dev_catalog, dev_params, SELLER, table)
    assert not any("marketplace" in w for w in report["warnings"])


# --------------------------------------------------------------------------- files


def test_truncated_and_corrupt_parquet_files_are_named(raw, tmp_path):
    path = tmp_path / "in.parquet"
    ChunkedParquetDataset(filepath=str(path)).save(raw[CHURN])
    body = path.read_bytes()
    path.write_bytes(body[: len(body) // 2])
    with pytest.raises(DatasetError, match=r"in\.parquet' is not a readable parquet"):
        ChunkedParquetDataset(filepath=str(path)).load()
    corrupt = bytearray(body)  # a valid footer over a garbled body
    corrupt[200:4000] = bytes(3800)
    path.write_bytes(bytes(corrupt))
    with pytest.raises(DatasetError, match=r"in\.parquet'"):
        source = ChunkedParquetDataset(filepath=str(path), chunk_size=1000).load()
        for name in source.columns:
            source.column(name)


def test_a_non_utf8_file_is_named(tmp_path):
    from kedro_datasets.pandas import CSVDataset

    path = tmp_path / "orders.csv"
    path.write_bytes("who,when,paid\nJosé,2024-01-01,3\n".encode("latin-1"))
    with pytest.raises(DatasetError, match=r"orders\.csv"):
        CSVDataset(filepath=str(path)).load()


def test_a_refused_input_leaves_the_earlier_scores_intact(
    trained_dev_catalog, dev_params, raw, tmp_path
):
    from risk_segments.pipelines.score import create_pipeline
    from tests.helpers import run_in_memory

    catalog = trained_dev_catalog
    target = tmp_path / "scores.parquet"
    catalog[f"{CHURN}.scores"] = ChunkedParquetDataset(filepath=str(target))
    catalog[f"{CHURN}.score_input"] = raw[CHURN]
    pipeline = create_pipeline().only_nodes_with_namespaces([CHURN])
    run_in_memory(pipeline, catalog)
    before = target.read_bytes()
    assert len(pd.read_parquet(target)) == len(raw[CHURN])
    catalog[f"{CHURN}.score_input"] = raw[CHURN].drop(columns=["orders_90d"])
    with pytest.raises(Exception, match="missing column"):
        run_in_memory(pipeline, catalog)
    assert target.read_bytes() == before


def test_an_order_log_changed_since_its_customer_view_stops_the_score_run(
    trained_dev_catalog, tmp_path
):
    """An order log's score run reads the customer view data_processing built; with
    tonight's orders appended to the log and the view not rebuilt, every customer was
    scored as they were at training, in silence. It stops, saying what to run."""
    from kedro.io import MemoryDataset

    from risk_segments.pipelines.score import create_pipeline
    from tests.helpers import run_in_memory

    ns, catalog = "repeat_purchase", trained_dev_catalog
    catalog[f"{ns}.scores"] = ChunkedParquetDataset(filepath=str(tmp_path / "s.pq"))
    catalog[f"{ns}.score_input"] = MemoryDataset(catalog.load(f"{ns}.model_input"))
    pipeline = create_pipeline().only_nodes_with_namespaces([ns])
    run_in_memory(pipeline, catalog)  # the log the view was built from: scored
    parts = {name: load() for name, load in catalog.load(f"{ns}.raw_orders").items()}
    last = max(parts)  # tonight's orders appended to the newest file of the folder
    parts[last] = pd.concat([parts[last], parts[last].tail(1)])
    catalog[f"{ns}.raw_orders"] = MemoryDataset(parts, copy_mode="assign")
    with pytest.raises(
        Exception, match=r"\(built .* from [\d,]+ rows\).*Build tonight"
    ):
        run_in_memory(pipeline, catalog)


def test_a_sources_fingerprint_follows_every_value_of_every_part():
    from risk_segments.modeling.artifacts import source_fingerprint

    jan = pd.DataFrame({"c": ["a", "b"], "amount": ["1.5", "2"]})
    feb = pd.DataFrame({"c": ["a"], "amount": ["3"]})
    folder = {"jan.csv": lambda: jan, "feb.csv": lambda: feb}  # as a folder loads
    assert source_fingerprint(folder) == source_fingerprint(
        {"jan.csv": jan, "feb.csv": feb}
    )
    changed = feb.assign(amount=["3.0"])
    assert source_fingerprint({**folder, "feb.csv": changed}) != source_fingerprint(
        folder
    )
    assert source_fingerprint(jan) != source_fingerprint(jan.iloc[::-1])


def test_a_failed_score_run_leaves_a_failure_record(tmp_path):
    class Node:
        def __init__(self, namespace):
            self.namespace, self.tags = f"{namespace}", {"score", namespace}

    class Pipeline:
        nodes = [Node(CHURN)]

    class Catalog:
        saved: dict = {}

        def save(self, name, data):
            self.saved[name] = data

    catalog = Catalog()
    ScoreStatusHook().on_pipeline_error(
        InvalidInputError("customer_churn.score_input: missing column(s)"),
        Pipeline(),
        catalog,
    )
    record = catalog.saved[f"{CHURN}.score_status"]
    assert record["status"] == "failed" and "missing column" in record["error"]


def test_a_batch_far_smaller_than_the_last_complete_run_stops(
    trained_dev_catalog, dev_params, raw
):
    """An extract cut short (a job that timed out, one page of an API export) was
    scored right and left every other customer without a score, in silence. Fewer rows
    than `min_rows_share` of the last complete run's stop, before anything is scored,
    also after a failed run (its record carries the last complete one's); the first
    run, and `min_rows_share: null`, compare with nothing."""
    import copy

    from risk_segments.pipelines.score.nodes import check_score_input, select_artifacts

    p = dev_params[CHURN]
    table = raw[CHURN]
    chosen = trained_dev_catalog.load(f"{CHURN}.artifact_set")
    model, segments, _ = select_artifacts(copy.deepcopy(chosen), p["score"])

    def preflight(rows, previous, **score):
        settings = {**p["score"], **score}
        return check_score_input(
            rows, model, segments, p["schema"], p["derived"], settings, previous
        )

    last = {"status": "complete", "rows_out": len(table), "finished": "2026-12-07"}
    assert preflight(table, last)["rows_last_complete_run"] == len(table)
    cut = table.iloc[: len(table) // 3]
    with pytest.raises(InvalidInputError, match=r"33% of the [\d,]+ the last complete"):
        preflight(cut, last)
    failed = {"status": "failed", "last_complete": last}
    with pytest.raises(InvalidInputError, match=r"min_rows_share=0"):
        preflight(cut, failed)
    assert preflight(cut, {})["rows_last_complete_run"] is None
    assert preflight(cut, last, min_rows_share=None)["rows_last_complete_run"] == (
        len(table)
    )


def test_a_failed_run_carries_the_last_complete_runs_record(tmp_path):
    """The next run checks its rows against the last complete run: a failed run's
    record keeps that run's, however many runs failed since."""
    from risk_segments.datasets import JSONRecordDataset

    class Node:
        namespace, tags = CHURN, {"score", CHURN}

    class Pipeline:
        nodes = [Node()]

    path = tmp_path / "score_status.json"

    class Catalog:
        def load(self, name):
            assert name == f"{CHURN}.previous_score_status"
            return JSONRecordDataset(filepath=str(path)).load()

        def save(self, name, data):
            path.write_text(json.dumps(data))

    def fail():
        ScoreStatusHook().on_pipeline_error(ValueError("x"), Pipeline(), Catalog())
        return json.loads(path.read_text())

    assert "last_complete" not in fail()  # no run before: nothing to carry
    path.write_text(json.dumps({"status": "complete", "rows_out": 120}))
    assert fail()["last_complete"]["rows_out"] == 120
    assert fail()["last_complete"]["rows_out"] == 120  # and after a second failure
    path.write_text("{not json")
    with pytest.raises(DatasetError, match=r"score_status\.json' is not the JSON"):
        JSONRecordDataset(filepath=str(path)).load()


# --------------------------------------------------------------------------- artifacts


@pytest.fixture
def published(trained_dev_catalog, tmp_path):
    artifact_set = trained_dev_catalog.load(f"{CHURN}.artifact_set")
    dataset = ArtifactSetDataset(filepath=str(tmp_path / "artifacts"), run_id="run-1")
    dataset.save(artifact_set)
    ArtifactSetDataset(filepath=str(tmp_path / "artifacts"), run_id="run-2").save(
        artifact_set
    )
    return tmp_path / "artifacts", artifact_set


def test_scoring_takes_the_newest_complete_set(published):
    folder, _ = published
    (folder / "run-3").mkdir()  # a training run that failed before its manifest
    (folder / "run-3" / "risk_model.cbm").write_bytes(b"half a model")
    store = ArtifactSetDataset(filepath=str(folder)).load()
    assert store.runs() == ["run-2", "run-1"]
    assert store.load().run_id == "run-2"
    assert store.load("run-1").risk_model.info["run_id"] == "run-1"
    with pytest.raises(ArtifactError, match="run 'run-3' has no complete artifact set"):
        store.load("run-3")


@pytest.mark.parametrize("damage", ["delete", "swap", "edit with its checksum"])
def test_a_missing_swapped_or_edited_member_is_refused(published, damage):
    folder, _ = published
    model = folder / "run-2" / "risk_model.cbm"
    if damage == "delete":
        model.unlink()
        message = "member 'risk_model.cbm' is missing"
    elif damage == "swap":  # another run's (here: a different) segmentation
        other = folder / "run-1" / "segmentation.npz"
        target = folder / "run-2" / "segmentation.npz"
        target.write_bytes(other.read_bytes() + b"\0")
        message = "member 'segmentation.npz' is not the file training wrote"
    else:  # the model and its sidecar edited together: the manifest still knows
        model.write_bytes(model.read_bytes() + b"\0")
        sidecar = folder / "run-2" / "risk_model.json"
        meta = json.loads(sidecar.read_text())
        import hashlib

        meta["sha256"] = hashlib.sha256(model.read_bytes()).hexdigest()
        sidecar.write_text(json.dumps(meta))
        message = "is not the file training wrote"
    with pytest.raises(ArtifactError, match=message):
        ArtifactSetDataset(filepath=str(folder)).load().load("run-2")


def test_with_a_key_unsigned_or_edited_sets_are_refused(published, tmp_path):
    folder, artifact_set = published
    key = {"key": "a long random test key"}
    with pytest.raises(ArtifactError, match="not signed"):
        ArtifactSetDataset(filepath=str(folder), credentials=key).load().load()
    signed = tmp_path / "signed"
    ArtifactSetDataset(filepath=str(signed), credentials=key, run_id="r").save(
        artifact_set
    )
    assert ArtifactSetDataset(filepath=str(signed), credentials=key).load().load()
    manifest = signed / "r" / "manifest.json"
    edited = json.loads(manifest.read_text())
    edited["members"]["risk_model.cbm"] = "0" * 64  # re-pointed at another model
    manifest.write_text(json.dumps(edited))
    with pytest.raises(ArtifactError, match="signature does not match"):
        ArtifactSetDataset(filepath=str(signed), credentials=key).load().load()


def test_every_score_row_carries_the_run_id(
    trained_dev_catalog, dev_params, raw, published
):
    folder, _ = published
    chosen = ArtifactSetDataset(filepath=str(folder)).load().load("run-1")
    catalog = trained_dev_catalog
    catalog[f"{CHURN}.risk_model"] = chosen.risk_model
    catalog[f"{CHURN}.segmentation_model"] = chosen.segmentation_model
    scores, report, _ = _score(catalog, dev_params, CHURN, raw[CHURN])
    assert (scores["run_id"] == "run-1").all() and report["run_id"] == "run-1"
    assert report["input_fingerprint"] and report["started"] and report["finished"]


def test_the_input_fingerprint_follows_the_keys_not_their_chunking():
    import pyarrow as pa

    ids = pd.array(["a1", "b22", "", "c333", "d"] * 3, dtype="str")
    dates = pd.to_datetime(["2025-01-31"] * 10 + ["2025-02-28"] * 5).to_numpy()
    whole = keys_fingerprint(ids, dates)
    assert whole.startswith("15x2:")
    parts = pa.chunked_array([pa.array(list(ids[:4])), pa.array(list(ids[4:]))])
    assert keys_fingerprint(pd.array(parts, dtype="str"), dates) == whole
    assert keys_fingerprint(ids[1:], dates[1:]) != whole  # a row less
    moved = pd.array(["a1", "b2", "2", "c333", "d"] * 3, dtype="str")  # same bytes
    assert keys_fingerprint(moved, dates) != whole  # ... split otherwise
    assert keys_fingerprint(ids[::-1], dates) != whole  # another order
    later = dates.copy()
    later[0] += np.timedelta64(1, "D")
    assert keys_fingerprint(ids, later) != whole


# --------------------------------------------------------------------------- drift


def test_clean_data_drawn_like_training_raises_no_drift_alarm(
    trained_dev_catalog, dev_params
):
    fresh, _ = generate_customer_base(
        CustomerBaseConfig(seed=99, n_customers=8000, n_unlabeled=2000, prevalence=0.18)
    )
    _, report, monitoring = _score(trained_dev_catalog, dev_params, CHURN, fresh)
    assert report["drift_alarms"] == [], monitoring.head().to_string()


def test_a_real_shift_raises_an_alarm_on_that_feature(
    trained_dev_catalog, dev_params, raw
):
    shifted = raw[CHURN].assign(
        days_since_last_visit=raw[CHURN]["days_since_last_visit"] * 3 + 20
    )
    _, report, _ = _score(trained_dev_catalog, dev_params, CHURN, shifted)
    assert "days_since_last_visit" in report["drift_alarms"]


# --------------------------------------------------------------------------- training and order logs


def test_training_refuses_an_all_empty_feature_unless_allowed(dev_params, raw):
    schema = dev_params[CHURN]["schema"]
    table = raw[CHURN].assign(referrals_365d=np.nan)
    with pytest.raises(InvalidInputError, match=r"'referrals_365d': no value at all"):
        validate_raw_table(table, schema)
    assert len(validate_raw_table(table, {**schema, "allow_empty": ["referrals_365d"]}))


def test_wrong_label_coding_names_the_column_and_values(dev_params, raw):
    table = raw[CHURN].assign(churned_60d="maybe")
    with pytest.raises(
        InvalidInputError, match=r"label column 'churned_60d' holds \['maybe'\]"
    ):
        validate_raw_table(table, dev_params[CHURN]["schema"])


ORDER_OPTIONS = {
    "source_name": "shop.raw_orders",
    "columns": {"customer": "who", "date": "when", "amount": "paid"},
}


def _log(rows):
    return pd.DataFrame(rows, columns=["who", "when", "paid", "note"], dtype=object)


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        (
            [["a", "2024-01-01", "3.5", "x"], ["b", "not a date", "2", "y"]],
            r"column 'when' has 1 unreadable timestamp.*'not a date'.*lines \[3\]",
        ),
        (
            [["a", "2024-01-01", "-3", "x"]],
            r"column 'amount': 1 negative value",
        ),
        (
            [["a", "2024-01-01", "3", "x"], ["b", "2024-01-02", None, None]],
            r"1 line\(s\) whose last fields are empty or missing \(lines \[3\]; "
            r"e\.g\. 2 of the header's 4",
        ),
        (
            [["a", "2024-01-01", None, "x"]],
            r"column 'paid' \(amount\): 1 empty value\(s\) \(lines \[2\]\)",
        ),
        (
            [["a", "2024-01-01", "abc", "x"]],
            r"column 'paid' has 1 non-numeric value.*'abc'.*lines \[2\]",
        ),
    ],
)
def test_order_log_garbage_is_named_with_line_numbers(rows, message):
    with pytest.raises(InvalidInputError, match=message):
        columns_to_transactions(_log(rows), ORDER_OPTIONS)


def test_a_future_order_is_refused_and_cutoffs_never_pass_the_as_of_date():
    rows = [[f"c{i % 30}", f"2024-{1 + i % 12:02d}-15", "10", ""] for i in range(300)]
    rows.append(["c1", "2031-06-01", "10", ""])
    options = {**ORDER_OPTIONS, "source": "columns", "as_of": "2024-12-31"}
    with pytest.raises(
        InvalidInputError, match=r"1 order\(s\) dated after the as-of date 2024-12-31"
    ):
        to_transactions(_log(rows), options)
    kept = to_transactions(_log(rows), {**options, "future_rows": "exclude"})
    assert kept["order_time"].max() < pd.Timestamp("2025-01-01")
    view, _ = build_customer_view(
        kept,
        {
            **options,
            "first_cutoff": "2024-03-31",
            "every_months": 3,
            "horizon_days": 90,
            "spend_column": "spend",
        },
        {
            "id_column": "customer_id",
            "date_column": "snapshot_date",
            "label_column": "y",
        },
    )
    assert view["snapshot_date"].max() <= pd.Timestamp("2024-12-31")


def test_a_draft_of_a_table_that_is_not_there_names_the_path(tmp_path):
    """A mistyped --table ended the draft in pandas' FileNotFoundError traceback."""
    from click.testing import CliRunner

    from risk_segments.cli import cli

    missing = tmp_path / "sellers_2024.csv"
    args = ["draft-use-case", "--name", "x", "--table", str(missing), "--label", "y"]
    done = CliRunner().invoke(cli, args)
    assert done.exit_code == 2  # click's usage error, not a traceback (exit 1)
    assert f"'{missing}' does not exist" in done.output
