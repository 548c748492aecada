"""How much of the recoverable group structure label-free segmentation finds.

    uv run python benchmarks/segment_recovery.py                  # both sources, default settings
    uv run python benchmarks/segment_recovery.py --source seller --seed 3 --persistence 0.7

For a synthetic source (where the true archetype is known) it prints:
- the ceiling: a supervised multi-class CatBoost trained on half the rows with
  the true archetype, scored on the other half (ARI and accuracy) - what the
  segmentation features can tell apart at all;
- for each candidate segmentation (preprocessing x algorithm, the number of
  segments chosen by label-free criteria only) its ARI against the archetype on
  the same held-out half, the ratio to the ceiling, and the label-free criteria
  that chose it.
The truth is used to evaluate, never to choose.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import yaml
from sklearn.metrics import adjusted_rand_score

from risk_segments.modeling.features import raw_to_model_input
from risk_segments.modeling.segmentation import (
    fit_segmentation,
    separability_ceiling,
    with_default_features,
)
from risk_segments.synthetic import (
    CustomerBaseConfig,
    SellerPanelConfig,
    generate_customer_base,
    generate_seller_panel,
)
from risk_segments.use_cases import DEFAULTS_KEY, with_defaults

ROOT = Path(__file__).resolve().parents[1]
SOURCES = {"seller": "seller_risk", "churn": "customer_churn"}


def _params(namespace: str) -> dict:
    """The use case's parameters laid over the defaults, as a run sees them."""
    conf = ROOT / "conf" / "base"
    block = yaml.safe_load((conf / f"parameters_{namespace}.yml").read_text())[
        namespace
    ]
    defaults = yaml.safe_load((conf / "use_case_defaults.yml").read_text())[
        DEFAULTS_KEY
    ]
    return with_defaults({namespace: block}, defaults)[namespace]


def load(
    source: str, seed: int | None, persistence: float | None, n_archetypes: int | None
):
    if source == "seller":
        cfg = SellerPanelConfig(
            **({"seed": seed} if seed is not None else {}),
            **({"persistence": persistence} if persistence is not None else {}),
            **({"n_archetypes": n_archetypes} if n_archetypes else {}),
        )
        raw, truth = generate_seller_panel(cfg)
    else:
        cfg = CustomerBaseConfig(
            **({"seed": seed} if seed is not None else {}),
            **({"n_archetypes": n_archetypes} if n_archetypes else {}),
        )
        raw, truth = generate_customer_base(cfg)
    params = _params(SOURCES[source])
    schema = {**params["schema"], "as_of": "2099-12-31"}
    rows = raw_to_model_input(raw, schema, params.get("derived"))
    keys = [schema["id_column"], schema["date_column"]]
    rows = rows.merge(truth[[*keys, "true_archetype"]], on=keys)
    return rows, params, schema


BEFORE = {  # the settings before issue 18's second step (kept to compare against)
    "scaling": "robust",
    "imputation": "median",
    "missing_indicators": True,
    "kmeans": {
        "k_rule": "silhouette_stability",
        "min_bootstrap_ari": 0.8,
        "min_segment_jaccard": 0.0,
    },
}
CANDIDATES = {
    "default (config)": {},
    "before: robust, median, indicators, silhouette rule": BEFORE,
    "before + PCA 8": {**BEFORE, "n_components": 8},
    "default, median imputation": {"imputation": "median"},
    "default, k by silhouette rule": {"kmeans": {"k_rule": "silhouette_stability"}},
    "GMM diag": {"algorithm": "gmm", "gmm": {"covariance_type": "diag"}},
    "no whitening (stop 12)": {"within_whitening": None},
    "whitened, shrunk 0.3 toward equal variances": {
        "within_whitening": 0.3,
        "whitening_target": "equal",
    },
    "whitened, shrunk 0.5 toward the diagonal": {
        "within_whitening": 0.5,
        "whitening_target": "diagonal",
    },
    "whitened, shrunk 0.7 toward the diagonal": {
        "within_whitening": 0.7,
        "whitening_target": "diagonal",
    },
    "KMeans with 10 restarts (stop 19, not adopted)": {"kmeans": {"n_init": 10}},
}


def _merged(base: dict, change: dict) -> dict:
    out = {**base, **change}
    if "kmeans" in change:
        out["kmeans"] = {**base.get("kmeans", {}), **change["kmeans"]}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--source", choices=list(SOURCES), nargs="*", default=list(SOURCES)
    )
    parser.add_argument("--seed", type=int)
    parser.add_argument("--persistence", type=float)
    parser.add_argument("--archetypes", type=int, help="fewer than the 6 archetypes")
    parser.add_argument("--rows", type=int, default=40_000)
    parser.add_argument("--candidates", nargs="*", default=list(CANDIDATES)[:3])
    args = parser.parse_args()
    for source in args.source:
        rows, params, schema = load(
            source, args.seed, args.persistence, args.archetypes
        )
        rng = np.random.default_rng(0)
        rows = rows.iloc[rng.permutation(len(rows))[: args.rows]].reset_index(drop=True)
        half = len(rows) // 2
        fit, held = rows.iloc[:half], rows.iloc[half:]
        excluded = [schema["id_column"], schema["date_column"], *schema["categorical"]]
        base = with_default_features(
            params["segmentation"],
            fit,
            excluded + ["true_archetype", schema["label_column"]],
        )
        start = time.perf_counter()
        ceiling = separability_ceiling(
            rows[base["features"]], rows["true_archetype"].to_numpy(), seed=0
        )
        print(
            f"\n{source} (seed {args.seed}, persistence {args.persistence}, archetypes "
            f"{args.archetypes or 6}), {len(rows):,} rows: ceiling ARI "
            f"{ceiling['ari']:.3f}, accuracy {ceiling['accuracy']:.3f} ({time.perf_counter() - start:.0f} s)"
        )
        truth = held["true_archetype"].to_numpy()
        for name in args.candidates:
            settings = _merged(base, CANDIDATES[name])
            settings["fit_sample"] = half
            start = time.perf_counter()
            model, _ = fit_segmentation(fit.drop(columns=["true_archetype"]), settings)
            segments, _ = model.assign(held)
            ari = adjusted_rand_score(truth, segments)
            print(
                f"  {name:<52} k={model.n_segments:<2} ARI {ari:.3f}  share of ceiling "
                f"{ari / ceiling['ari']:.2f}  ({time.perf_counter() - start:.0f} s; "
                f"chosen by {model.info.get('chosen_by')})"
            )


if __name__ == "__main__":
    main()
