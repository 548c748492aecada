"""Use cases are configuration: a parameters block with a `kind` declares one.

A top-level parameters block whose `kind` is `tabular` (one table of entities
with an outcome), `segments` (one table of entities without one: segments,
profiles and their nightly assignment only) or `order_log` (a transaction log
turned into a customer view) is a use case;
its name is its Kedro namespace. The pipeline registry instantiates every
stage for every declared use case, so adding one (`kedro draft-use-case`, or a
`conf/base/parameters_<name>.yml` written by hand) never touches Python.

`UseCaseConfigLoader` is the project's config loader: it fills every declared
use case's parameters with the defaults in `conf/<env>/use_case_defaults.yml`
(a block's own keys win), and stamps the run's as-of date into each schema.
"""

from __future__ import annotations

import copy
import datetime as dt
import difflib
from typing import Any

from kedro.config import OmegaConfigLoader

from risk_segments.schema import level_text

KINDS = ("tabular", "segments", "order_log")
# the defaults a kind starts from, in order: a segments table is read as a tabular one
KIND_DEFAULTS = {"tabular": ("tabular",), "segments": ("tabular", "segments")}
DEFAULTS_KEY = "use_case_defaults"

_active: UseCaseConfigLoader | None = None


def deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """`base` with `override` laid over it: dicts merge key by key, anything else replaces."""
    out = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def declared(parameters: dict[str, Any]) -> dict[str, str]:
    """{use case name: kind} for every parameters block that declares a kind."""
    cases = {}
    for name, block in parameters.items():
        if isinstance(block, dict) and "kind" in block:
            kind = block["kind"]
            if kind not in KINDS:
                raise ValueError(
                    f"parameters '{name}': kind must be one of {list(KINDS)}, got '{kind}'"
                )
            cases[name] = kind
    return cases


# Where a use case's keys are the project's own settings (elsewhere they are columns,
# levels or CatBoost's options), and the settings the code reads there that the
# defaults leave out (no default: absent is off, or the draft writes them from the table)
SETTINGS_AT: dict[tuple[str, ...], frozenset[str]] = {
    (): frozenset({"kind", "schema"}),
    ("schema",): frozenset(
        {
            "allow_empty",
            "categorical",
            "date_column",
            "date_features",
            "date_format",
            "date_in_table",
            "drop",
            "feature_groups",
            "future_rows",
            "id_column",
            "label_column",
            "missing_codes",
            "negative_label",
            "number_marks",
            "numeric",
            "on_empty_feature",
            "on_out_of_range",
            "on_unknown_category",
            "positive_above",
            "positive_label",
            "positive_when_filled",
            "source",
            "units",
        }
    ),
    ("customer_view",): frozenset(
        {
            "amount_per",
            "columns",
            "count_rows",
            "currency",
            "customer_ids",
            "date_format",
            "decimal",
            "exclude_values",
            "first_cutoff",
            "future_rows",
            "keep_values",
            "missing_customers",
            "negative_amounts",
            "order_from",
            "order_ids",
            "source",
            "source_name",
            "thousands",
        }
    ),
    ("segmentation",): frozenset({"gmm"}),
    ("segmentation", "kmeans"): frozenset(),
    ("segmentation", "hdbscan"): frozenset(),
    ("segmentation", "profile"): frozenset(),
    ("segmentation", "stability"): frozenset(),
    ("supervised",): frozenset({"score_baselines"}),
    ("supervised", "split"): frozenset(),
    ("supervised", "threshold"): frozenset(),
    ("supervised", "evaluation"): frozenset(),
    ("report",): frozenset(),
    ("score",): frozenset(),
    ("spend",): frozenset({"plots_dpi"}),
}


def _keys_at(tree: Any, path: tuple[str, ...]) -> set[str]:
    for key in path:
        tree = tree.get(key) if isinstance(tree, dict) else None
    return set(tree) if isinstance(tree, dict) else set()


def known_settings(path: tuple[str, ...], defaults: dict[str, Any]) -> set[str]:
    """The settings at `path`: those the defaults of any kind write, and those the code
    reads without a default (`SETTINGS_AT`)."""
    layers = [defaults.get("common") or {}, *(v for v in defaults.values() if v)]
    return set(SETTINGS_AT[path]).union(*(_keys_at(layer, path) for layer in layers))


def misspelt_settings(
    name: str, block: dict[str, Any], defaults: dict[str, Any]
) -> list[str]:
    """A use case's keys that are no setting but nearly spell one (`horizon_day`,
    `exclude_value`, `horizon` for `horizon_days`): read as they stand they would be
    ignored and the default used, without a word. Keys like no setting pass (a
    newer setting, a note to self)."""
    problems = []
    for path in SETTINGS_AT:
        known = known_settings(path, defaults)
        for key in sorted(_keys_at(block, path) - known, key=str):
            close = (
                difflib.get_close_matches(str(key), known, n=1, cutoff=0.8)
                or [k for k in sorted(known) if k.startswith(f"{key}_")][:1]
            )
            if close:
                where = ".".join((*path, str(key)))
                problems.append(
                    f"parameters '{name}': {where} is not a setting (did you mean "
                    f"{'.'.join((*path, close[0]))}?); as written it would be ignored"
                )
    return problems


def as_of_date(value: Any) -> str:
    """The run's as-of date as YYYY-MM-DD: the parameter, or today (UTC) when it is null."""
    if value in (None, "", "today"):
        return dt.datetime.now(dt.UTC).date().isoformat()
    try:
        return dt.date.fromisoformat(str(value)[:10]).isoformat()
    except ValueError as err:
        raise ValueError(
            f"parameter 'as_of' must be a date (YYYY-MM-DD) or null, got '{value}'"
        ) from err


def with_defaults(
    parameters: dict[str, Any], defaults: dict[str, Any]
) -> dict[str, Any]:
    """Every declared use case's block laid over the defaults of its kind."""
    out = dict(parameters)
    out["as_of"] = as_of_date(parameters.get("as_of"))
    cases = declared(parameters)
    problems = [
        p for name in cases for p in misspelt_settings(name, parameters[name], defaults)
    ]
    if problems:
        raise ValueError("\n".join(problems))
    for name, kind in cases.items():
        base = defaults.get("common", {})
        for layer in KIND_DEFAULTS.get(kind, (kind,)):
            base = deep_merge(base, defaults.get(layer) or {})
        block = deep_merge(base, parameters[name])
        if kind == "segments":
            block = without_label(name, block)
        # what nodes need to name the data and date it: the namespace and the as-of date
        block["schema"] = {
            **block.get("schema", {}),
            "as_of": out["as_of"],
            "namespace": name,
        }
        if block["schema"].get("categorical"):  # levels as the values read: '1', not 1
            block["schema"]["categorical"] = {
                column: None if levels is None else [level_text(v) for v in levels]
                for column, levels in block["schema"]["categorical"].items()
            }
        if kind == "order_log":
            block["customer_view"] = {
                **block.get("customer_view", {}),
                "as_of": out["as_of"],
            }
            if not block["customer_view"].get("btyd", False):
                block = without_btyd(block)
        out[name] = block
    return out


def without_label(name: str, block: dict[str, Any]) -> dict[str, Any]:
    """A `segments` use case has no outcome: its schema names no label column."""
    schema = block.get("schema") or {}
    if schema.get("label_column"):
        raise ValueError(
            f"parameters '{name}': kind segments has no label, but schema.label_column is "
            f"'{schema['label_column']}'; use kind: tabular to train a score on it, or "
            "delete the line for segments only"
        )
    return {**block, "schema": {**schema, "label_column": None}}


def without_btyd(block: dict[str, Any]) -> dict[str, Any]:
    """An order log run with `customer_view.btyd: false`: the BTYD columns leave the
    schema, the feature groups and the score baselines, so one switch turns them off."""
    from risk_segments.modeling.btyd import BTYD_COLUMNS  # noqa: PLC0415

    schema = dict(block.get("schema", {}))
    schema["numeric"] = {
        k: v for k, v in (schema.get("numeric") or {}).items() if k not in BTYD_COLUMNS
    }
    groups = {
        name: [c for c in columns if c not in BTYD_COLUMNS]
        for name, columns in (schema.get("feature_groups") or {}).items()
    }
    schema["feature_groups"] = {name: cols for name, cols in groups.items() if cols}
    supervised = dict(block.get("supervised", {}))
    supervised["score_baselines"] = {
        k: v
        for k, v in (supervised.get("score_baselines") or {}).items()
        if k not in BTYD_COLUMNS
    }
    return {**block, "schema": schema, "supervised": supervised}


class UseCaseConfigLoader(OmegaConfigLoader):
    """Kedro's OmegaConfigLoader, with use-case defaults filled into the parameters."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        patterns = dict(kwargs.pop("config_patterns", None) or {})
        patterns.setdefault(DEFAULTS_KEY, [f"{DEFAULTS_KEY}*", f"{DEFAULTS_KEY}*/**"])
        super().__init__(*args, config_patterns=patterns, **kwargs)
        self._parameters: dict[str, Any] | None = None
        global _active  # noqa: PLW0603 - the registry reads the run's loader
        _active = self

    def __getitem__(self, key: str) -> dict[str, Any]:
        if key != "parameters":
            return super().__getitem__(key)
        if self._parameters is None:  # read and merged once per loader (the registry,
            # every stage and the session all ask; each read parses every YAML file)
            config = super().__getitem__(key)
            try:
                defaults = super().__getitem__(DEFAULTS_KEY)
            except Exception:  # noqa: BLE001 - no defaults file: blocks stand alone
                defaults = {}
            self._parameters = with_defaults(
                config, defaults.get(DEFAULTS_KEY, defaults)
            )
        return copy.deepcopy(self._parameters)  # a caller's change stays its own

    def __setitem__(self, key: str, value: Any) -> None:
        if key == "parameters":
            self._parameters = None
        super().__setitem__(key, value)


def active_loader() -> UseCaseConfigLoader | None:
    """The config loader of the current Kedro session, if one was made."""
    return _active
