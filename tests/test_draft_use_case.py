"""A new use case from configuration alone: `kedro draft-use-case`, then `kedro run`.

The tables are made here in shapes no built-in fixture has (see
`risk_segments.synthetic.user_tables`): an entity table with a Yes/No label, no
date, blanks in a numeric column, an integer-coded categorical, ids with dashes
and a free-text column; and an order log with its own column names, ISO
timestamps with times, prefixed ids, shuffled rows and an extra column.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from risk_segments.drafting import (
    DraftError,
    check_name,
    draft_tabular,
    positive_value,
    profile_column,
    write_draft,
)
from risk_segments.synthetic.user_tables import churn_table, order_log
from risk_segments.use_cases import declared
from tests.helpers import PROJECT_ROOT, copy_project, kedro_cli

ENTITY = "telco_churn"
ORDERS = "shop_repeat"


# --------------------------------------------------------------------------- profiling


def test_columns_are_profiled_as_people_have_them():
    table = churn_table(600, seed=1)
    n = len(table)
    roles = {c: profile_column(table[c], n) for c in table.columns}
    assert roles["customerID"].role == "set_aside"
    assert "id-like" in roles["customerID"].note
    assert roles["notes"].role == "set_aside" and "free text" in roles["notes"].note
    assert roles["SeniorCitizen"].role == "categorical"
    assert roles["SeniorCitizen"].levels == ["0", "1"]
    assert roles["Contract"].levels == ["Month-to-month", "One year", "Two year"]
    total = roles["TotalCharges"]  # text in the file, blanks for new customers
    assert total.role == "numeric" and total.bounds == [0, None]
    assert roles["tenure"].role == "numeric"
    constant = profile_column(pd.Series(["x"] * 10, name="const"), 10)
    assert constant.role == "set_aside" and "constant" in constant.note


@pytest.mark.parametrize(
    ("values", "given", "expected"),
    [
        (["Yes", "No", "No"], None, "Yes"),
        ([0, 1, 1], None, None),
        ([True, False, True], None, None),
        (["stayed", "left", "left"], "left", "left"),
    ],
)
def test_the_positive_label_is_read_or_asked_for(values, given, expected):
    assert positive_value(pd.Series(values), "y", given) == expected


def test_an_ambiguous_label_asks_for_positive():
    with pytest.raises(DraftError, match="--positive"):
        positive_value(pd.Series(["stayed", "left"]), "status", None)


def _write(table: pd.DataFrame, path: Path) -> Path:
    table.to_csv(path, index=False)
    return path


def test_a_leaky_column_is_set_aside_and_said(tmp_path):
    path = _write(churn_table(1500, seed=2, leak=True), tmp_path / "t.csv")
    draft = draft_tabular("leaky", path, tmp_path, "customerID", "Churn")
    assert any("cancel_code" in line and "leak" in line for line in draft.summary)
    drop = draft.parameters.split("    drop:")[1]
    assert '"cancel_code"' in drop and "likely leak" in drop
    assert "cancel_code:" not in draft.parameters.split("    drop:")[0]


def test_an_unknown_label_column_is_named(tmp_path):
    path = _write(churn_table(300, seed=3), tmp_path / "t.csv")
    with pytest.raises(DraftError, match=r"--label 'churn' is not a column.*'Churn'"):
        draft_tabular("x", path, tmp_path, "customerID", "churn")


def test_an_existing_use_case_is_not_overwritten(tmp_path):
    conf = tmp_path / "conf" / "base"
    conf.mkdir(parents=True)
    (conf / "parameters_seller_risk.yml").write_text("seller_risk:\n  kind: tabular\n")
    with pytest.raises(DraftError, match="exists already"):
        check_name("seller_risk", conf, force=False)
    with pytest.raises(DraftError, match="lower-case"):
        check_name("My-Case", conf, force=False)
    check_name("new_case", conf, force=False)


def test_the_draft_loads_as_configuration_with_text_levels(tmp_path, monkeypatch):
    """YAML reads Yes/No as booleans unless quoted: the levels must stay text."""
    project = tmp_path / "project"
    shutil.copytree(PROJECT_ROOT / "conf", project / "conf", ignore=_no_local)
    path = _write(churn_table(800, seed=4, n_unlabeled=50), project / "t.csv")
    draft = draft_tabular(ENTITY, path, project, "customerID", "Churn")
    write_draft(draft, project / "conf" / "base", ENTITY)
    monkeypatch.chdir(project)
    # the loader made here must not stay the active one after the test
    monkeypatch.setattr("risk_segments.use_cases._active", None)
    params = load_config_at(project)["parameters"]
    assert declared(params)[ENTITY] == "tabular"
    schema = params[ENTITY]["schema"]
    assert schema["categorical"]["Partner"] == ["No", "Yes"]
    assert schema["positive_label"] == "Yes"
    assert schema["date_in_table"] is False and schema["as_of"]
    # defaults filled in for everything the draft did not write
    assert params[ENTITY]["supervised"]["catboost"]["iterations"] > 0
    assert params[ENTITY]["segmentation"]["kmeans"]["k_min"] >= 2


def _no_local(folder: str, names: list[str]) -> list[str]:
    return ["local"] if folder.endswith("conf") else []


def load_config_at(project: Path):
    from risk_segments.settings import CONFIG_LOADER_ARGS, CONFIG_LOADER_CLASS

    return CONFIG_LOADER_CLASS(
        conf_source=str(project / "conf"),
        env="base",
        **{k: v for k, v in CONFIG_LOADER_ARGS.items() if k != "default_run_env"},
    )


# --------------------------------------------------------------------------- end to end


def _kedro(project: Path, *args: str) -> subprocess.CompletedProcess:
    return kedro_cli(project, *args)


def _ok(done: subprocess.CompletedProcess) -> str:
    assert done.returncode == 0, done.stderr[-4000:] + done.stdout[-2000:]
    return done.stdout


@pytest.fixture(scope="module")
def drafted(tmp_path_factory) -> Path:
    """A copy of the project where a user drafted and ran two use cases of their own."""
    project = copy_project(tmp_path_factory.mktemp("user_project"))
    inbox = project / "inbox"
    inbox.mkdir()
    churn_table(1500, seed=5, n_unlabeled=100).to_csv(
        inbox / "customers.csv", index=False
    )
    order_log(600, seed=6).to_csv(inbox / "orders.csv", index=False)
    _ok(
        _kedro(
            project,
            "draft-use-case",
            "--name",
            ENTITY,
            "--table",
            "inbox/customers.csv",
            "--id",
            "customerID",
            "--label",
            "Churn",
            "--positive",
            "Yes",
        )
    )
    _ok(
        _kedro(
            project,
            "draft-use-case",
            "--name",
            ORDERS,
            "--table",
            "inbox/orders.csv",
            "--kind",
            "order_log",
            "--customer",
            "Client Ref",
            "--date",
            "Purchased At",
            "--amount",
            "Total (EUR)",
            "--quantity",
            "Qty",
            "--order-id",
            "Basket",
        )
    )
    _ok(_kedro(project, "run", f"--namespaces={ENTITY},{ORDERS}"))
    _ok(_kedro(project, "run", "--pipeline=score", f"--namespaces={ENTITY},{ORDERS}"))
    return project


def test_the_draft_refuses_to_overwrite_and_names_a_bad_label(drafted):
    again = _kedro(
        drafted,
        "draft-use-case",
        "--name",
        ENTITY,
        "--table",
        "inbox/customers.csv",
        "--id",
        "customerID",
        "--label",
        "Churn",
    )
    assert again.returncode != 0 and "exists already" in again.stderr + again.stdout
    bad = _kedro(
        drafted,
        "draft-use-case",
        "--name",
        "other",
        "--table",
        "inbox/customers.csv",
        "--id",
        "customerID",
        "--label",
        "Churned",
    )
    assert bad.returncode != 0 and "--label 'Churned'" in bad.stderr + bad.stdout


@pytest.mark.parametrize("name", [ENTITY, ORDERS])
def test_a_drafted_use_case_reaches_the_report(drafted, name):
    report = drafted / "data" / "08_reporting" / name / "report.html"
    assert report.exists() and "<h2 id='segments'>" in report.read_text()
    metrics = json.loads((report.parent / "metrics.json").read_text())
    assert 0.6 < metrics["roc_auc"]["value"] <= 1.0
    assert metrics["oracle"] is None  # a user's table: no truth, and the report says so


def test_the_entity_table_is_scored_one_row_per_input_row(drafted):
    table = pd.read_csv(drafted / "inbox" / "customers.csv", dtype={"customerID": str})
    scores = pd.read_parquet(
        drafted / "data" / "07_model_output" / ENTITY / "scores.parquet"
    )
    assert len(scores) == len(table)
    assert sorted(scores["customerID"]) == sorted(table["customerID"])
    assert np.isfinite(scores["risk_score"]).all()
    summary = json.loads(
        (drafted / "data" / "08_reporting" / ENTITY / "score_summary.json").read_text()
    )
    assert summary["rows_in"] == summary["rows_out"] == len(table)


def test_the_order_log_scores_every_customer_at_the_newest_cutoff(drafted):
    log = pd.read_csv(drafted / "inbox" / "orders.csv", dtype=str)
    scores = pd.read_parquet(
        drafted / "data" / "07_model_output" / ORDERS / "scores.parquet"
    )
    assert set(scores["customer_id"]) == set(log["Client Ref"])  # prefixed ids kept
    assert scores["snapshot_date"].nunique() == 1
    ranked = pd.read_csv(
        drafted / "data" / "08_reporting" / ORDERS / "user_propensity_scores.csv"
    )
    assert len(ranked) == len(scores)
    transactions = pd.read_parquet(
        drafted / "data" / "02_intermediate" / ORDERS / "transactions.parquet"
    )
    assert len(transactions) == log["Basket"].nunique()  # lines of a basket: one order
    assert transactions["amount"].sum() == pytest.approx(
        pd.to_numeric(log["Total (EUR)"]).sum()
    )


def test_a_dated_panel_gets_a_time_split_and_scores_the_newest_snapshot(tmp_path):
    months = pd.date_range("2025-01-31", periods=6, freq="ME")
    parts = []
    for i, month in enumerate(months):
        part = churn_table(400, seed=10 + i)
        part["customerID"] = [f"C-{j:04d}" for j in range(len(part))]
        part["month_end"] = month.date().isoformat()
        parts.append(part)
    path = _write(pd.concat(parts, ignore_index=True), tmp_path / "panel.csv")
    draft = draft_tabular(
        "panel", path, tmp_path, "customerID", "Churn", date="month_end"
    )
    assert "strategy: time" in draft.parameters
    assert "rows: newest_snapshot" in draft.parameters
    assert 'date_column: "month_end"' in draft.parameters
    assert "date_in_table" not in draft.parameters


def test_an_order_log_too_short_for_three_cutoffs_is_refused(tmp_path):
    from risk_segments.drafting import draft_order_log

    log = order_log(100, seed=3, days=120)
    path = _write(log, tmp_path / "orders.csv")
    columns = {
        "customer": "Client Ref",
        "date": "Purchased At",
        "amount": "Total (EUR)",
        "quantity": None,
        "order_id": "Basket",
    }
    with pytest.raises(DraftError, match=r"fewer than 3 cutoffs.*--horizon-days"):
        draft_order_log("short", path, tmp_path, columns, horizon_days=90)
