"""Label-free segmentation: saved preprocessing, KMeans or HDBSCAN, fast assignment.

Everything fitted is plain arrays and JSON (`SegmentationModel`), so it saves
without pickle and assigns new rows with numpy alone:

* preprocessing: log1p for heavy-tailed features; conditional imputation (a
  missing value takes its expected value given the row's observed features,
  from the fitted mean and covariance) or median imputation; optional missing
  indicators; standard (mean / sd) or robust (median / IQR) scaling, clipped;
  optionally PCA (docs/segments.md: the defaults are the ones that found most of
  the recoverable structure on every setting tried);
* `kmeans`: optionally whitened by the pooled within-segment covariance of its
  own first segments (`within_whitening`, folded into the saved linear map);
  centroids in that space; a row goes to its nearest centroid;
* `hdbscan`: fitted on a sample; every fitted sample point that HDBSCAN placed
  in a cluster is a prototype, and a new row takes the segment of its nearest
  prototype (a k-d tree query). Rows that HDBSCAN would call noise, and new rows
  far from every prototype, keep their nearest segment with `atypical = True`.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:  # fitting imports scikit-learn inside the functions that fit:
    # assignment (the nightly batch) needs numpy alone and starts faster without it
    from sklearn.cluster import KMeans
    from sklearn.mixture import GaussianMixture

logger = logging.getLogger(__name__)
CLIP = 5.0


@dataclass
class SegmentationModel:
    """A fitted segmentation: preprocessing, algorithm state and segment names."""

    features: list[str]
    log_features: list[str]
    medians: np.ndarray
    centers: np.ndarray
    scales: np.ndarray
    indicator_features: list[str]
    pca_mean: np.ndarray
    pca_components: np.ndarray
    algorithm: str
    centroids: (
        np.ndarray
    )  # kmeans centroids, or per-segment prototype means for hdbscan
    prototypes: np.ndarray = field(default_factory=lambda: np.empty((0, 0)))
    prototype_segments: np.ndarray = field(
        default_factory=lambda: np.empty(0, dtype=int)
    )
    atypical_distance: np.ndarray = field(default_factory=lambda: np.empty(0))
    # gmm: mixture weights and the Cholesky factors of the precisions (k x d x d;
    # diagonal models store them as k x d)
    weights: np.ndarray = field(default_factory=lambda: np.empty(0))
    precisions_cholesky: np.ndarray = field(default_factory=lambda: np.empty(0))
    covariance_type: str = ""
    # conditional imputation: mean and covariance of the (log) features; empty: medians
    impute_mean: np.ndarray = field(default_factory=lambda: np.empty(0))
    impute_covariance: np.ndarray = field(default_factory=lambda: np.empty((0, 0)))
    segment_names: dict[int, str] = field(default_factory=dict)
    info: dict[str, Any] = field(default_factory=dict)
    # categorical columns that enter as 0/1 columns, one per level ("Contract = Two year")
    category_levels: dict[str, list[str]] = field(default_factory=dict)

    @property
    def n_segments(self) -> int:
        return len(self.centroids)

    @property
    def input_columns(self) -> list[str]:
        """The columns of the rows the segmentation reads (indicators come from them)."""
        made = set(indicator_names(self.category_levels))
        return [f for f in self.features if f not in made] + list(self.category_levels)

    def with_indicators(self, frame: pd.DataFrame) -> pd.DataFrame:
        """The rows with the 0/1 level columns the segmentation reads, if it has any."""
        return with_category_indicators(frame, self.category_levels)

    def transform(self, frame: pd.DataFrame) -> np.ndarray:
        """Rows -> the low-dimensional space the segments live in."""
        frame = self.with_indicators(frame)
        missing = [c for c in self.features if c not in frame.columns]
        if missing:
            raise ValueError(f"segmentation input lacks feature(s) {missing}")
        X = np.array(frame[self.features], dtype=float)
        X[np.isinf(X)] = np.nan
        logged = [
            j for j, name in enumerate(self.features) if name in self.log_features
        ]
        if logged:  # all long-tailed columns at once, in place
            block = X[:, logged]
            np.log1p(np.clip(block, 0, None, out=block), out=block)
            X[:, logged] = block
        indicators = (
            np.column_stack(
                [
                    np.isnan(X[:, self.features.index(n)]).astype(float)
                    for n in self.indicator_features
                ]
            )
            if self.indicator_features
            else np.empty((len(X), 0))
        )
        X = _impute(X, self.medians, self.impute_mean, self.impute_covariance)
        X -= self.centers  # X is this call's own copy: scaled in place
        X /= self.scales
        np.clip(X, -CLIP, CLIP, out=X)
        Z = np.hstack([X, indicators]) if indicators.size else X
        if self.pca_mean.any():  # PCA: centred, then projected
            return (Z - self.pca_mean) @ self.pca_components.T
        if self._identity_map():  # no PCA: the scaled features are the space
            return Z
        return Z @ self.pca_components.T  # no PCA, whitened: one product, no copy

    def _identity_map(self) -> bool:
        """True when the saved map is the identity (`n_components: null`, no
        whitening): the matrix product would cost more than the rest of the transform
        and change nothing."""
        width = self.pca_components.shape[1]
        return self.pca_components.shape[0] == width and np.array_equal(
            self.pca_components, np.eye(width)
        )

    def assign_embedded(
        self, Z: np.ndarray, chunk: int = 200_000
    ) -> tuple[np.ndarray, np.ndarray]:
        """Segment and atypical flag for rows already in PCA space."""
        segments = np.empty(len(Z), dtype=np.int32)
        atypical = np.zeros(len(Z), dtype=bool)
        if self.algorithm == "kmeans":
            for start in range(0, len(Z), chunk):
                block = Z[start : start + chunk]
                d2 = block @ (-2 * self.centroids.T)
                d2 += np.einsum("ij,ij->i", block, block)[:, None]
                d2 += (self.centroids**2).sum(1)[None, :]
                best = np.argmin(d2, axis=1)
                segments[start : start + chunk] = best
                dist = np.sqrt(np.maximum(d2[np.arange(len(block)), best], 0))
                atypical[start : start + chunk] = dist > self.atypical_distance[best]
            return segments, atypical
        if self.algorithm == "gmm":
            for start in range(0, len(Z), chunk):
                scores = self._log_likelihoods(Z[start : start + chunk])
                best = np.argmax(scores, axis=1)
                segments[start : start + chunk] = best
                fit = -scores[np.arange(len(best)), best]
                atypical[start : start + chunk] = fit > self.atypical_distance[best]
            return segments, atypical
        from scipy.spatial import cKDTree  # hdbscan only: KMeans needs numpy alone

        tree = cKDTree(self.prototypes)
        dist, idx = tree.query(Z, k=1, workers=-1)
        raw = self.prototype_segments[idx]
        noise = raw < 0
        segments[:] = np.where(
            noise, -raw - 1, raw
        )  # noise prototypes are stored as -segment-1
        atypical[:] = noise | (dist > self.atypical_distance[segments])
        return segments, atypical

    def _log_likelihoods(self, Z: np.ndarray) -> np.ndarray:
        """log(weight) + log N(z | mean, covariance) per row and component (numpy only)."""
        d = Z.shape[1]
        out = np.empty((len(Z), self.n_segments))
        for s in range(self.n_segments):
            chol = self.precisions_cholesky[s]
            diff = Z - self.centroids[s]
            if chol.ndim == 1:  # diagonal
                y = diff * chol
                log_det = np.log(chol).sum()
            else:
                y = diff @ chol
                log_det = np.log(np.diag(chol)).sum()
            out[:, s] = (
                np.log(self.weights[s])
                - 0.5 * (y**2).sum(axis=1)
                + log_det
                - 0.5 * d * np.log(2 * np.pi)
            )
        return out

    def assign(self, frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """Segment id and atypical flag for every row of a table."""
        return self.assign_embedded(self.transform(frame))


# a categorical enters the segments by its most frequent levels, at most 12, each in
# at least 1% of the rows
MAX_LEVELS = 12
MIN_LEVEL_SHARE = 0.01


def indicator_names(levels: dict[str, list[str]]) -> list[str]:
    return [f"{column} = {level}" for column, kept in levels.items() for level in kept]


def category_levels(frame: pd.DataFrame, columns: list[str]) -> dict[str, list[str]]:
    """The levels by which each categorical column enters the segments: its most
    frequent ones (up to 12), each held by at least 1% of the rows; a column of two
    values by the rarer one only (the other is its complement)."""
    levels = {}
    for column in columns:
        if column not in frame.columns:
            raise ValueError(
                f"segmentation.category_features: '{column}' is not a column of the "
                f"model input (columns: {list(frame.columns)[:30]})"
            )
        shares = frame[column].astype("string").value_counts(normalize=True)
        kept = shares[shares >= MIN_LEVEL_SHARE].index[:MAX_LEVELS]
        if len(kept) == len(shares) == 2:  # yes/no: one column says it all
            kept = kept[1:]
        levels[str(column)] = [str(v) for v in kept]
    return levels


def with_category_indicators(
    frame: pd.DataFrame, levels: dict[str, list[str]]
) -> pd.DataFrame:
    """`frame` with a 0/1 column per (column, level); a missing or unseen value is 0
    in every level of its column. A frame that has them already is returned as it is
    (fitting adds them once; the transforms it runs on the way see them)."""
    if not levels or set(indicator_names(levels)) <= set(frame.columns):
        return frame
    made = {}
    for column, kept in levels.items():
        text = frame[column].astype("string")
        for level, name in zip(kept, indicator_names({column: kept}), strict=True):
            made[name] = (text == level).fillna(False).to_numpy(dtype=float)
    return frame.assign(**made)


def _impute(
    X: np.ndarray,
    medians: np.ndarray,
    mean: np.ndarray,
    covariance: np.ndarray,
    cells: int = 20_000_000,
) -> np.ndarray:
    """Fill missing values: with their conditional expectation given the row's observed
    features (Gaussian) when a covariance was fitted, else with the medians.

    With the precision P (the covariance's inverse), a row's missing block m given its
    observed block o is mean_m - P_mm^-1 P_mo (x_o - mean_o), the same value as
    mean_m + S_mo S_oo^-1 (x_o - mean_o) from the covariance S. Rows are solved in
    stacks by their number of missing values (one batched solve per stack of up to
    `cells` matrix entries): a wide table whose rows each miss their own set of
    features costs no Python loop per row."""
    missing = np.isnan(X)
    if not missing.any():
        return X
    if covariance.size == 0:
        return np.where(missing, medians, X)
    X = X.copy()
    precision = np.linalg.inv(covariance)
    counts = missing.sum(axis=1)
    for m in np.unique(counts[counts > 0]):
        rows = np.flatnonzero(counts == m)
        step = max(1, cells // (int(m) * int(m)))
        for start in range(0, len(rows), step):
            r = rows[start : start + step]
            gaps = np.nonzero(missing[r])[1].reshape(len(r), m)  # each row's, in order
            centred = np.where(missing[r], 0.0, X[r] - mean)
            pulled = np.take_along_axis(centred @ precision, gaps, axis=1)  # P_mo x_o
            block = precision[gaps[:, :, None], gaps[:, None, :]]  # P_mm per row
            solved = np.linalg.solve(block, pulled[..., None])[..., 0]
            X[r[:, None], gaps] = mean[gaps] - solved
    return X


def _fit_imputation(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and covariance for conditional imputation: pairwise over the observed values,
    made positive definite (eigenvalues floored), a pair never seen together uncorrelated."""
    with np.errstate(all="ignore"):
        mean = np.nanmean(X, axis=0)
    covariance = pd.DataFrame(X).cov(min_periods=30).to_numpy()
    variances = np.diag(covariance).copy()
    variances = np.where(np.isfinite(variances) & (variances > 1e-12), variances, 1.0)
    covariance = np.where(np.isfinite(covariance), covariance, 0.0)
    np.fill_diagonal(covariance, variances)
    values, vectors = np.linalg.eigh(covariance)
    floor = 1e-3 * float(np.mean(variances))
    covariance = (vectors * np.maximum(values, floor)) @ vectors.T
    return np.where(np.isfinite(mean), mean, 0.0), covariance


def _fit_preprocessing(frame: pd.DataFrame, params: dict[str, Any]) -> dict[str, Any]:
    features = list(params["features"])
    log_features = [f for f in params.get("log_features", []) if f in features]
    X = np.array(frame[features], dtype=float)
    X[np.isinf(X)] = np.nan
    for j, name in enumerate(features):
        if name in log_features:
            X[:, j] = np.log1p(np.clip(X[:, j], 0, None))
    with np.errstate(all="ignore"):
        medians = np.nanmedian(X, axis=0) if len(X) else np.zeros(len(features))
    medians = np.where(np.isnan(medians), 0.0, medians)
    missing_share = np.isnan(X).mean(axis=0)
    indicator_features = (
        [f for f, share in zip(features, missing_share, strict=True) if share >= 0.01]
        if params.get("missing_indicators", False)
        else []
    )
    imputation = params.get("imputation", "conditional")
    if imputation not in ("conditional", "median"):
        raise ValueError(
            f"segmentation.imputation must be 'conditional' or 'median', got '{imputation}'"
        )
    mean, covariance = (
        _fit_imputation(X)
        if imputation == "conditional" and np.isnan(X).any()
        else (np.empty(0), np.empty((0, 0)))
    )
    filled = _impute(X, medians, mean, covariance)
    scaling = params.get("scaling", "standard")
    if scaling == "standard":
        centers, scales = filled.mean(axis=0), filled.std(axis=0)
    elif scaling == "robust":
        q25, q75 = np.percentile(filled, [25, 75], axis=0)
        centers, scales = medians, q75 - q25
    else:
        raise ValueError(
            f"segmentation.scaling must be 'standard' or 'robust', got '{scaling}'"
        )
    fallback = filled.std(axis=0)
    scales = np.where(scales > 1e-9, scales, np.where(fallback > 1e-9, fallback, 1.0))
    return {
        "features": features,
        "log_features": log_features,
        "medians": medians,
        "centers": centers,
        "scales": scales,
        "indicator_features": indicator_features,
        "impute_mean": mean,
        "impute_covariance": covariance,
        "category_levels": dict(params.get("category_levels") or {}),
    }


def _pca_input(frame: pd.DataFrame, prep: dict[str, Any]) -> np.ndarray:
    stub = SegmentationModel(
        **prep,
        pca_mean=np.zeros(len(prep["features"]) + len(prep["indicator_features"])),
        pca_components=np.eye(len(prep["features"]) + len(prep["indicator_features"])),
        algorithm="kmeans",
        centroids=np.empty((0, 0)),
    )
    return stub.transform(frame)


def embed(
    frame: pd.DataFrame, params: dict[str, Any], seed: int
) -> tuple[dict[str, Any], np.ndarray]:
    """Fit preprocessing + PCA on `frame`; return the fitted state and the embedded rows."""
    from sklearn.decomposition import PCA

    prep = _fit_preprocessing(frame, params)
    Z_full = _pca_input(frame, prep)
    wanted = params.get("n_components")
    if wanted is None:  # no reduction: the scaled features themselves
        width = Z_full.shape[1]
        prep["pca_mean"], prep["pca_components"] = np.zeros(width), np.eye(width)
        prep["explained_variance"] = 1.0
        return prep, Z_full
    # an integer: that many components; a share below 1: as many as explain it
    n_components = (
        float(wanted) if 0 < float(wanted) < 1 else min(int(wanted), Z_full.shape[1])
    )
    pca = PCA(n_components=n_components, random_state=seed).fit(Z_full)
    prep["pca_mean"] = pca.mean_
    prep["pca_components"] = pca.components_
    prep["explained_variance"] = float(pca.explained_variance_ratio_.sum())
    return prep, (Z_full - pca.mean_) @ pca.components_.T


def _kmeans(Z: np.ndarray, k: int, seed: int, n_init: int) -> KMeans:
    from sklearn.cluster import KMeans

    return KMeans(n_clusters=k, n_init=n_init, random_state=seed).fit(Z)


def jaccard_per_segment(reference: np.ndarray, other: np.ndarray, k: int) -> np.ndarray:
    """For each reference segment, the best Jaccard overlap with any segment of `other`."""
    out = np.zeros(k)
    for s in range(k):
        a = reference == s
        if not a.any():
            out[s] = np.nan
            continue
        best = 0.0
        for t in np.unique(other[a]):
            b = other == t
            best = max(best, (a & b).sum() / (a | b).sum())
        out[s] = best
    return out


def _resampled_agreement(
    Z: np.ndarray,
    sample: np.ndarray,
    k: int,
    seed: int,
    n_init: int,
    resamples: int,
    reference: KMeans,
) -> tuple[float, float]:
    """Refits on fresh subsamples of all the fitted rows (the size of the selection
    sample, at most 80% of the rows), each compared with the reference fit on the
    selection sample: mean ARI, and the least reproducible segment's mean Jaccard
    (clusterwise stability). Fresh rows, not bootstrap copies of the same sample: the
    same question the resampling check asks of the final segments."""
    from sklearn.metrics import adjusted_rand_score

    rng = np.random.default_rng(seed + 7919)
    size = min(len(sample), int(0.8 * len(Z)))
    scores, jaccards = [], []
    for r in range(resamples):
        rows = rng.choice(len(Z), size=size, replace=False)
        labels = _kmeans(Z[rows], k, seed + r + 1, n_init).predict(sample)
        scores.append(adjusted_rand_score(reference.labels_, labels))
        jaccards.append(jaccard_per_segment(reference.labels_, labels, k))
    return float(np.mean(scores)), float(np.nanmin(np.mean(jaccards, axis=0)))


def choose_k(
    Z: np.ndarray, params: dict[str, Any], seed: int
) -> tuple[int, list[dict[str, float]]]:
    """Pick k over a range by resampling stability (see `_pick_k`); silhouette recorded."""
    from sklearn.metrics import silhouette_score

    options = params["kmeans"]
    rng = np.random.default_rng(seed)
    sample = Z[
        rng.choice(len(Z), size=min(len(Z), options["selection_sample"]), replace=False)
    ]
    table = []
    for k in range(options["k_min"], options["k_max"] + 1):
        start = time.perf_counter()
        model = _kmeans(sample, k, seed, options["n_init"])
        silhouette = silhouette_score(
            sample, model.labels_, sample_size=min(len(sample), 5000), random_state=seed
        )
        stability, weakest = _resampled_agreement(
            Z, sample, k, seed, options["n_init"], options["stability_resamples"], model
        )
        table.append(
            {
                "k": k,
                "silhouette": float(silhouette),
                "bootstrap_ari": stability,
                "min_segment_jaccard": weakest,
            }
        )
        logger.info(
            "  k=%d: silhouette %.3f, bootstrap ARI %.3f, least stable segment's "
            "Jaccard %.3f (%.1f s)",
            k,
            silhouette,
            stability,
            weakest,
            time.perf_counter() - start,
        )
    return _pick_k(table, options), table


K_RULES = {
    "largest_stable": "the largest k whose refits on fresh samples agree and find every segment again",
    "stable_run": "the largest k of the first run of k whose refits agree",
    "silhouette_stability": "best silhouette + weight x bootstrap ARI among stable k",
}


def stable_rows(table: list[dict[str, float]], options: dict[str, Any]) -> list[bool]:
    """For each candidate k: do its refits agree (ARI >= min_bootstrap_ari) and find
    every segment again (Jaccard >= min_segment_jaccard)?"""
    threshold = options["min_bootstrap_ari"]
    jaccard = options.get("min_segment_jaccard", 0.0)
    return [
        row["bootstrap_ari"] >= threshold
        and row.get("min_segment_jaccard", 1.0) >= jaccard
        for row in table
    ]


def _pick_k(table: list[dict[str, float]], options: dict[str, Any]) -> int:
    """The number of segments from the label-free table of candidates.

    `largest_stable`: the largest stable k, where a k is stable when its
    refits on fresh samples agree (bootstrap ARI >= min_bootstrap_ari) and every
    segment is found again (Jaccard >= min_segment_jaccard): as many segments as the
    data reproduces (on the simulations it also keeps stable over-splits: 8-9 segments
    for sellers). `stable_run` (default): walking up from k_min, the first k whose resampled refits
    agree (bootstrap ARI >= min_bootstrap_ari, and every segment found again with a
    Jaccard >= min_segment_jaccard) opens a run; the run's largest k wins:
    as many segments as the data supports before splits stop being reproducible.
    `silhouette_stability`: the best silhouette + weight x bootstrap ARI among the
    stable k (silhouette favours few segments). No stable k: the most stable one."""
    rule = options.get("k_rule", "stable_run")
    if rule not in K_RULES:
        raise ValueError(
            f"segmentation.kmeans.k_rule must be one of {sorted(K_RULES)}, got '{rule}'"
        )
    stable = stable_rows(table, options)
    if not any(stable):
        return int(max(table, key=lambda row: row["bootstrap_ari"])["k"])
    if rule == "silhouette_stability":
        weight = options.get("stability_weight", 0.5)
        candidates = [row for row, ok in zip(table, stable, strict=True) if ok]
        best = max(
            candidates, key=lambda r: r["silhouette"] + weight * r["bootstrap_ari"]
        )
        return int(best["k"])
    if rule == "largest_stable":
        return int(table[len(stable) - 1 - stable[::-1].index(True)]["k"])
    first = stable.index(True)
    last = first
    while last + 1 < len(table) and stable[last + 1]:
        last += 1
    return int(table[last]["k"])


NO_STABLE_K = (
    "no k is reproducible (refits disagree for every k tried): the k whose refits "
    "agree most"
)
WHITENING_TARGETS = ("equal", "diagonal")


def within_whitening(
    Z: np.ndarray, labels: np.ndarray, shrinkage: float, target: str = "equal"
) -> np.ndarray:
    """The linear map under which the pooled within-segment covariance of `labels`
    (shrunk by `shrinkage` toward equal variances, `target="equal"`, or toward its own
    diagonal, `"diagonal"`: the correlations shrunk, each feature's spread kept) is the
    identity: a direction then counts by how little the rows vary along it inside
    segments, so a trait that many correlated features echo no longer outweighs one
    read by few."""
    k = int(labels.max()) + 1
    counts = np.bincount(labels, minlength=k)
    sums = np.zeros((k, Z.shape[1]))
    np.add.at(sums, labels, Z)
    residuals = Z - (sums / np.maximum(counts, 1)[:, None])[labels]
    covariance = residuals.T @ residuals / max(len(Z) - k, 1)
    width = covariance.shape[0]
    toward = (
        np.diag(np.diag(covariance))
        if target == "diagonal"
        else np.trace(covariance) / width * np.eye(width)
    )
    covariance = (1 - shrinkage) * covariance + shrinkage * toward
    values, vectors = np.linalg.eigh(covariance)
    values = np.maximum(values, 1e-9 * max(float(values.max()), 1e-12))
    return (vectors / np.sqrt(values)) @ vectors.T


def _whitening_options(params: dict[str, Any]) -> dict[str, Any] | None:
    """The whitening settings, checked before any fitting (None: `within_whitening`
    null): the shrinkage in [0, 1], its target and the k rule of the second pass."""
    value = params.get("within_whitening")
    if value is None:
        return None
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not 0 <= value <= 1
    ):
        raise ValueError(
            "segmentation.within_whitening must be null or a shrinkage in [0, 1], "
            f"got {value!r}"
        )
    target = params.get("whitening_target", "equal")
    if target not in WHITENING_TARGETS:
        raise ValueError(
            f"segmentation.whitening_target must be one of {list(WHITENING_TARGETS)}, "
            f"got '{target}'"
        )
    again = params["kmeans"].get("whitened_k_rule", "largest_stable")
    if again not in K_RULES:
        raise ValueError(
            f"segmentation.kmeans.whitened_k_rule must be one of {sorted(K_RULES)}, "
            f"got '{again}'"
        )
    return {"shrinkage": float(value), "target": target, "k_rule": again}


def _whitened_choice(
    Z: np.ndarray,
    k: int,
    table: list[dict[str, float]],
    params: dict[str, Any],
    whitening: dict[str, Any],
    seed: int,
) -> tuple[int, list[dict[str, float]], np.ndarray]:
    """Within-segment whitening (`_whitening_options`): whiten by the segments at the
    k chosen on the scaled features, choose k again in that space (its k rule), and
    whiten once more by the segments at that k; returns k, both tables and the map."""
    options = params["kmeans"]
    shrinkage, target = whitening["shrinkage"], whitening["target"]
    n_init = options["n_init"]
    labels = _kmeans(Z, k, seed, n_init).labels_
    whitened = Z @ within_whitening(Z, labels, shrinkage, target)
    again = {**options, "k_rule": whitening["k_rule"]}
    if options.get("whitened_k"):  # a refit of a fitted model: its k in this space
        again.update(k_min=options["whitened_k"], k_max=options["whitened_k"])
    logger.info("Choosing k again on the within-segment whitened features")
    k, whitened_table = choose_k(whitened, {**params, "kmeans": again}, seed)
    labels = _kmeans(whitened, k, seed, n_init).labels_
    for row in table:
        row.setdefault("space", "scaled")
    for row in whitened_table:
        row["space"] = "whitened"
    return k, [*table, *whitened_table], within_whitening(Z, labels, shrinkage, target)


def _gmm(Z: np.ndarray, k: int, seed: int, options: dict[str, Any]) -> GaussianMixture:
    from sklearn.mixture import GaussianMixture

    return GaussianMixture(
        n_components=k,
        covariance_type=options.get("covariance_type", "full"),
        n_init=int(options.get("n_init", 2)),
        reg_covar=float(options.get("reg_covar", 1e-4)),
        max_iter=int(options.get("max_iter", 200)),
        random_state=seed,
    ).fit(Z)


def choose_gmm(
    Z: np.ndarray, params: dict[str, Any], seed: int
) -> tuple[GaussianMixture, list[dict[str, float]]]:
    """A Gaussian mixture with k chosen label-free: the lowest BIC among the k whose
    refits on resamples agree (ARI) well enough; then refitted on all rows."""
    from sklearn.metrics import adjusted_rand_score

    options = {**params.get("kmeans", {}), **params.get("gmm", {})}
    rng = np.random.default_rng(seed)
    sample = Z[
        rng.choice(len(Z), size=min(len(Z), options["selection_sample"]), replace=False)
    ]
    table = []
    for k in range(options["k_min"], options["k_max"] + 1):
        start = time.perf_counter()
        model = _gmm(sample, k, seed, options)
        labels = model.predict(sample)
        agreement = []
        for r in range(int(options.get("stability_resamples", 2))):
            rows = rng.choice(len(sample), size=len(sample), replace=True)
            refit = _gmm(sample[rows], k, seed + r + 1, options)
            agreement.append(adjusted_rand_score(labels, refit.predict(sample)))
        row = {
            "k": k,
            "bic": float(model.bic(sample)),
            "bootstrap_ari": float(np.mean(agreement)),
        }
        table.append(row)
        logger.info(
            "  k=%d: BIC %.0f, bootstrap ARI %.3f (%.1f s)",
            k,
            row["bic"],
            row["bootstrap_ari"],
            time.perf_counter() - start,
        )
    stable = [
        r for r in table if r["bootstrap_ari"] >= options["min_bootstrap_ari"]
    ] or table
    best = min(stable, key=lambda r: r["bic"])
    return _gmm(Z, int(best["k"]), seed, options), table


def _cholesky(mixture: GaussianMixture) -> np.ndarray:
    """Per component the Cholesky factor of the precision (diag: a vector)."""
    chol = mixture.precisions_cholesky_
    if mixture.covariance_type in ("full", "diag"):
        return np.asarray(chol)
    if mixture.covariance_type == "spherical":
        return np.repeat(np.asarray(chol)[:, None], mixture.means_.shape[1], axis=1)
    return np.repeat(np.asarray(chol)[None], mixture.n_components, axis=0)  # tied


def _atypical_cutoffs(
    Z: np.ndarray, labels: np.ndarray, reference: np.ndarray, quantile: float, k: int
) -> np.ndarray:
    """Per segment: the distance to the nearest reference point beyond which a row is atypical."""
    cutoffs = np.zeros(k)
    for s in range(k):
        members = labels == s
        cutoffs[s] = (
            np.quantile(reference[members], quantile) if members.any() else np.inf
        )
    return cutoffs


def fit_segmentation(
    frame: pd.DataFrame, params: dict[str, Any]
) -> tuple[SegmentationModel, np.ndarray]:
    """Fit preprocessing and the chosen algorithm on `frame` (a sample); return model and labels."""
    from scipy.spatial import cKDTree

    seed = int(params.get("seed", 0))
    frame = with_category_indicators(frame, params.get("category_levels") or {})
    prep, Z = embed(frame, params, seed)
    explained = prep.pop("explained_variance")
    algorithm = params["algorithm"]
    info: dict[str, Any] = {"fit_rows": len(frame), "pca_explained_variance": explained}
    quantile = params.get("atypical_quantile", 0.99)
    if algorithm != "kmeans" and params.get("within_whitening") is not None:
        logger.info(
            "segmentation.within_whitening applies to kmeans only: %s segments the "
            "scaled features",
            algorithm,
        )
    if algorithm == "kmeans":
        whitening = _whitening_options(params)
        k, table = choose_k(Z, params, seed)
        refitting = bool(params["kmeans"].get("whitened_k"))  # a fitted procedure again
        if (
            whitening is not None
            and not refitting
            and not any(stable_rows(table, params["kmeans"]))
        ):
            # the whitening is read off the segments at the first k: segments that
            # refits do not reproduce would make it as arbitrary as they are
            logger.warning(
                "No number of segments from %d to %d is reproducible on the scaled "
                "features (refits disagree): not whitened; the segments below are a "
                "partition of the rows, not groups the data shows",
                params["kmeans"]["k_min"],
                params["kmeans"]["k_max"],
            )
            info["within_whitening"] = "skipped: no stable k on the scaled features"
            whitening = None
        if whitening is not None:
            info["first_k"] = k  # the segments the whitening is read off (for refits)
            k, table, linear = _whitened_choice(Z, k, table, params, whitening, seed)
            Z = Z @ linear  # folded into the saved linear map: assignment unchanged
            prep["pca_components"] = linear.T @ prep["pca_components"]
            info["within_whitening"] = {
                "shrinkage": whitening["shrinkage"],
                "target": whitening["target"],
            }
        model = _kmeans(Z, k, seed, params["kmeans"]["n_init"])
        labels = model.labels_.astype(np.int32)
        dist = np.linalg.norm(Z - model.cluster_centers_[labels], axis=1)
        centroids = model.cluster_centers_
        extra = {"atypical_distance": _atypical_cutoffs(Z, labels, dist, quantile, k)}
        rule = params["kmeans"].get("k_rule", "stable_run")
        chosen_by = K_RULES[rule]
        final = [r for r in table if r.get("space") != "scaled" or whitening is None]
        if not any(stable_rows(final, params["kmeans"])):  # the space k was chosen in
            chosen_by = NO_STABLE_K
        elif whitening is not None:
            chosen_by += (
                f"; then, within-segment whitened, {K_RULES[whitening['k_rule']]}"
            )
        info.update(k=k, k_selection=table, chosen_by=chosen_by)
    elif algorithm == "gmm":
        mixture, table = choose_gmm(Z, params, seed)
        labels = mixture.predict(Z).astype(np.int32)
        k = mixture.n_components
        centroids = mixture.means_
        state = {
            "weights": mixture.weights_,
            "precisions_cholesky": _cholesky(mixture),
            "covariance_type": mixture.covariance_type,
        }
        fitted = SegmentationModel(
            **prep, algorithm="gmm", centroids=centroids, **state
        )
        misfit = -fitted._log_likelihoods(Z)[np.arange(len(Z)), labels]
        extra = {
            "atypical_distance": _atypical_cutoffs(Z, labels, misfit, quantile, k),
            **state,
        }
        info.update(k=k, k_selection=table, chosen_by="lowest BIC among stable k")
    elif algorithm == "hdbscan":
        import hdbscan

        options = params["hdbscan"]
        clusterer = hdbscan.HDBSCAN(
            min_cluster_size=int(options["min_cluster_size"]),
            min_samples=int(options["min_samples"]),
            cluster_selection_method=options.get("cluster_selection_method", "eom"),
            prediction_data=bool(
                options.get("prediction_data", False)
            ),  # only the benchmark needs it
            core_dist_n_jobs=1,
        ).fit(Z)
        raw = clusterer.labels_.astype(np.int32)
        k = int(raw.max()) + 1
        if k < 1:
            raise ValueError("HDBSCAN found no cluster; lower hdbscan.min_cluster_size")
        clustered = raw >= 0
        centroids = np.vstack([Z[raw == s].mean(axis=0) for s in range(k)])
        # noise points: nearest cluster member's segment, remembered as atypical (encoded -s-1)
        tree = cKDTree(Z[clustered])
        _, nearest = tree.query(Z[~clustered], k=1)
        labels = raw.copy()
        labels[~clustered] = raw[clustered][nearest]
        prototype_segments = np.where(clustered, raw, -labels - 1)
        dist_in = cKDTree(Z[clustered]).query(Z[clustered], k=2)[0][:, 1]
        cutoffs = _atypical_cutoffs(Z[clustered], raw[clustered], dist_in, quantile, k)
        extra = {
            "prototypes": Z,
            "prototype_segments": prototype_segments,
            "atypical_distance": cutoffs,
        }
        info.update(k=k, hdbscan_noise_share=float((~clustered).mean()))
        info["_clusterer"] = (
            clusterer  # for the reference assignment in this run only, never saved
        )
    else:
        raise ValueError(
            f"segmentation.algorithm must be 'kmeans', 'gmm' or 'hdbscan', got '{algorithm}'"
        )
    model = SegmentationModel(
        **prep, algorithm=algorithm, centroids=centroids, info=info, **extra
    )
    return model, labels


def skewed_features(
    frame: pd.DataFrame, features: list[str], skew: float = 1.0
) -> list[str]:
    """The non-negative features with a long right tail (skewness above `skew`): they
    are segmented on log1p, so a few very large values do not decide the segments."""
    out = []
    for name in features:
        values = frame[name].to_numpy(dtype=float)
        values = values[np.isfinite(values)]
        if len(values) > 2 and values.min() >= 0 and pd.Series(values).skew() > skew:
            out.append(name)
    return out


def with_default_features(
    segmentation: dict[str, Any], frame: pd.DataFrame, excluded: list[str]
) -> dict[str, Any]:
    """Segmentation parameters with `features` (default: every numeric column but the
    excluded ones) and `log_features` (default: the skewed ones) filled in."""
    features = segmentation.get("features") or [
        c
        for c in frame.columns
        if c not in excluded and pd.api.types.is_numeric_dtype(frame[c])
    ]
    log_features = segmentation.get("log_features")
    if log_features is None:
        log_features = skewed_features(frame, list(features))
    return {
        **segmentation,
        "features": list(features),
        "log_features": list(log_features),
    }


def separability_ceiling(
    features: pd.DataFrame, groups: np.ndarray, seed: int = 0, rows: int = 40_000
) -> dict[str, float]:
    """What the features can tell apart at all: a supervised multi-class CatBoost
    trained on half the rows with the true group, scored on the other half (ARI
    and accuracy). For evaluation on simulated data only; never shapes a segment."""
    from sklearn.metrics import accuracy_score, adjusted_rand_score

    from .fitting import fit_multiclass

    rng = np.random.default_rng(seed)
    picked = rng.permutation(len(features))[:rows]
    X = features.iloc[picked].reset_index(drop=True).astype(float)
    y = np.asarray(groups)[picked]
    half = len(X) // 2
    model = fit_multiclass(X.iloc[:half], y[:half], seed=seed)
    predicted = np.asarray(model.predict(X.iloc[half:])).ravel()
    return {
        "ari": float(adjusted_rand_score(y[half:], predicted)),
        "accuracy": float(accuracy_score(y[half:], predicted)),
        "rows": int(len(X)),
    }
