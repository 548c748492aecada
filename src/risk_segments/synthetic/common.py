"""Small numeric helpers shared by the synthetic generators."""

from __future__ import annotations

import numpy as np


def sigmoid(x: np.ndarray) -> np.ndarray:
    """Logistic function, stable for large |x|."""
    return 0.5 * (1.0 + np.tanh(0.5 * x))


def intercept_for_prevalence(
    logit: np.ndarray, prevalence: float, tol: float = 1e-7
) -> float:
    """Intercept b such that mean(sigmoid(b + logit)) equals the target prevalence."""
    if not 0.0 < prevalence < 1.0:
        raise ValueError(f"prevalence must be in (0, 1), got {prevalence}")
    lo, hi = -30.0, 30.0
    while hi - lo > tol:
        mid = 0.5 * (lo + hi)
        if sigmoid(mid + logit).mean() < prevalence:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def observed_rate(
    rng: np.random.Generator, p: np.ndarray, trials: np.ndarray
) -> np.ndarray:
    """A rate observed over `trials` events: binomial noise, so small sellers are noisier."""
    n = np.maximum(trials, 1).astype(np.int64)
    return rng.binomial(n, np.clip(p, 0.0, 1.0)) / n


def mask_missing(
    rng: np.random.Generator, values: np.ndarray, probability: np.ndarray
) -> np.ndarray:
    """Copy of `values` with entries set to NaN with the given per-row probability."""
    out = values.astype(float, copy=True)
    out[rng.random(len(out)) < probability] = np.nan
    return out


def choice_by_row(rng: np.random.Generator, probs: np.ndarray) -> np.ndarray:
    """Draw one category index per row from a row-wise probability matrix."""
    cumulative = probs.cumsum(axis=1)
    cumulative[:, -1] = 1.0
    u = rng.random(len(probs))[:, None]
    return (u > cumulative).sum(axis=1)
