"""A use case's settings: a key that nearly spells one stops the run, naming both."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from risk_segments.use_cases import (
    DEFAULTS_KEY,
    SETTINGS_AT,
    _keys_at,
    known_settings,
    misspelt_settings,
    with_defaults,
)
from tests.helpers import PROJECT_ROOT

DEFAULTS = yaml.safe_load(
    (Path(PROJECT_ROOT) / "conf/base/use_case_defaults.yml").read_text()
)[DEFAULTS_KEY]


def test_a_misspelt_setting_stops_the_run_and_names_the_setting():
    shop = {
        "kind": "order_log",
        "customer_view": {"horizon_day": 60, "exclude_value": {"Status": ["x"]}},
        "segmentation": {"kmeans": {"k_mx": 5}, "notes": "mine"},
        "supervised": {"split": {"test_sise": 0.3}},
    }
    with pytest.raises(ValueError) as err:
        with_defaults({"shop": shop}, DEFAULTS)
    message = str(err.value)
    for wrong, right in (
        ("customer_view.horizon_day", "customer_view.horizon_days"),
        ("customer_view.exclude_value", "customer_view.exclude_values"),
        ("segmentation.kmeans.k_mx", "segmentation.kmeans.k_max"),
        ("supervised.split.test_sise", "supervised.split.test_size"),
    ):
        assert f"'shop': {wrong} is not a setting (did you mean {right}?)" in message
    assert "notes" not in message  # like no setting: a note, passed


def test_a_setting_named_by_its_first_word_is_named_too():
    block = {"kind": "order_log", "customer_view": {"horizon": 60}}
    assert misspelt_settings("shop", block, DEFAULTS) == [
        "parameters 'shop': customer_view.horizon is not a setting (did you mean "
        "customer_view.horizon_days?); as written it would be ignored"
    ]


def test_columns_and_levels_are_never_read_as_settings():
    block = {
        "kind": "tabular",
        "schema": {"numeric": {"horizon_day": [0, None]}, "categorical": {"k_mx": []}},
        "feature_labels": {"test_sise": "Test size"},
    }
    assert misspelt_settings("t", block, DEFAULTS) == []


def _blocks():
    for path in sorted(Path(PROJECT_ROOT, "conf").glob("*/parameters*.yml")):
        for name, block in (yaml.safe_load(path.read_text()) or {}).items():
            if isinstance(block, dict) and name != "reporting":
                yield f"{path.parent.name}/{path.name}:{name}", block


@pytest.mark.parametrize(("where", "block"), list(_blocks()))
def test_every_setting_the_project_writes_is_known(where, block):
    """Each key of the built-in use cases (every env) is a known setting: the list
    grows with the code, so a new setting cannot be taken for a misspelling."""
    for path in SETTINGS_AT:
        assert _keys_at(block, path) <= known_settings(path, DEFAULTS), (where, path)


def test_levels_written_as_numbers_match_the_values_they_name():
    """`SeniorCitizen: [0, 1]` written by hand: the column's values read as '0' and
    '1', so the schema check failed 'isin([0, 1])' on every row (e.g. 0, 1), and the
    nightly batch counted none of the levels training saw."""
    import pandas as pd

    from risk_segments.modeling.scoring import validate_chunk
    from risk_segments.schema import validate_table

    block = {
        "kind": "tabular",
        "schema": {
            "id_column": "id",
            "date_column": "d",
            "date_in_table": False,
            "label_column": "y",
            "positive_label": "Yes",
            "categorical": {"senior": [0, 1.0], "flag": [True, False], "plan": None},
            "numeric": {"x": [0, None]},
        },
    }
    schema = with_defaults({"t": block}, DEFAULTS)["t"]["schema"]
    assert schema["categorical"]["senior"] == ["0", "1"]
    assert schema["categorical"]["flag"] == ["true", "false"]
    rows = pd.DataFrame(
        {
            "id": [f"c{i}" for i in range(40)],
            "senior": [0, 1] * 20,
            "flag": [True, False] * 20,
            "plan": ["a", "b"] * 20,
            "x": range(40),
            "y": ["Yes", "No"] * 20,
        }
    )
    validated = validate_table(rows, schema, "t.raw_table")
    assert validated["senior"].tolist()[:2] == ["0", "1"]
    read = validate_chunk(rows, schema)
    assert read["senior"].isin(schema["categorical"]["senior"]).all()
    # `[Yes, No]` unquoted is [true, false] to YAML: the check says so
    schema["categorical"]["flag"] = ["true", "false"]
    with pytest.raises(ValueError, match=r"flag.*YAML reads as true/false: quote"):
        validate_table(rows.assign(flag=["Yes", "No"] * 20), schema, "t.raw_table")
