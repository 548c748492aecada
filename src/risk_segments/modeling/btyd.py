"""Buy-till-you-die models at a cutoff: BG/NBD, Pareto/NBD and Gamma-Gamma.

The classic peers of a repeat-purchase model, fitted (MAP, pymc-marketing's CLV
module) on the purchases up to one cutoff only, so their outputs can be both
baselines and features at that cutoff without look-ahead. Time is in days;
repeat purchases are distinct purchase days after the first, as in the papers.
"""

from __future__ import annotations

import logging
import time
import warnings
from typing import Any

import numpy as np
import pandas as pd

logger = logging.getLogger(__name__)
DAY = pd.Timedelta(days=1)

# column -> what it is (the report and the feature labels use these words)
BTYD_COLUMNS = {
    "bgnbd_p_buy": "BG/NBD: P(at least one purchase in the horizon)",
    "bgnbd_expected_purchases": "BG/NBD: expected purchases in the horizon",
    "pnbd_p_buy": "Pareto/NBD: P(at least one purchase in the horizon)",
    "pnbd_expected_purchases": "Pareto/NBD: expected purchases in the horizon",
    "pnbd_p_alive": "Pareto/NBD: P(still a customer)",
    "gg_expected_order_value": "Gamma-Gamma: expected value per purchase",
    "btyd_expected_spend": "BG/NBD x Gamma-Gamma: expected spend in the horizon",
}
EXPECTED_SPEND = (
    "btyd_expected_spend"  # the expected-spend peer (propensity reports it)
)
# the range each output can take (for the schema of a drafted order log)
BTYD_RANGES = {
    c: (0, 1) if c.endswith(("p_buy", "p_alive")) else (0, None) for c in BTYD_COLUMNS
}


MIN_REPEAT_BUYERS = 20


def rfm_summary(transactions: pd.DataFrame, cutoff: pd.Timestamp) -> pd.DataFrame:
    """Per customer with a purchase on or before the cutoff day: frequency (repeat
    purchase days), recency (days from the first to the last purchase day), T (days
    from the first purchase day to the cutoff) and the mean spend of the repeat days."""
    past = transactions.loc[transactions["order_time"] < cutoff + DAY]
    days = (
        past.assign(day=past["order_time"].dt.normalize())
        .groupby(["customer_id", "day"], sort=True)["amount"]
        .sum()
        .reset_index()
    )
    g = days.groupby("customer_id", sort=True)
    first, last = g["day"].min(), g["day"].max()
    first_spend = g["amount"].first()
    n_days = g.size()
    repeat_spend = g["amount"].sum() - first_spend
    frequency = (n_days - 1).astype(float)
    return pd.DataFrame(
        {
            "frequency": frequency,
            "recency": (last - first).dt.days.astype(float),
            "T": (cutoff.normalize() - first).dt.days.astype(float),
            "monetary_value": np.where(
                frequency > 0, repeat_spend / frequency.where(frequency > 0), np.nan
            ),
            "day_spend_mean": float(days["amount"].mean()),
        }
    )


def _values(result: Any, n: int) -> np.ndarray:
    """A MAP result (xarray with chain/draw of size one) as one value per customer."""
    array = result.mean(("chain", "draw")) if hasattr(result, "dims") else result
    values = np.asarray(array, dtype=float).ravel()
    if len(values) != n:
        raise RuntimeError(f"BTYD output has {len(values)} values for {n} customers")
    return values


def _fit(model_class: Any, data: pd.DataFrame, cutoff: pd.Timestamp) -> Any:
    model = model_class(data=data)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model.fit(method="map", progressbar=False)
    except Exception as err:
        raise RuntimeError(
            f"customer_view.btyd: {model_class.__name__} could not be fitted at the cutoff "
            f"{cutoff.date()} on {len(data)} customers ({type(err).__name__}: {err}); "
            "set customer_view.btyd: false to run without them"
        ) from err
    return model


def btyd_features(
    transactions: pd.DataFrame, cutoff: pd.Timestamp, horizon_days: int
) -> pd.DataFrame:
    """The BTYD outputs for every customer at the cutoff (index: customer_id), from
    models fitted on the purchases up to the cutoff only."""
    from pymc_marketing import clv  # noqa: PLC0415  (slow import: only when used)

    start = time.perf_counter()
    summary = rfm_summary(transactions, cutoff)
    n = len(summary)
    data = pd.DataFrame(
        {
            "customer_id": np.arange(n),
            "frequency": summary["frequency"].to_numpy(),
            "recency": summary["recency"].to_numpy(),
            "T": summary["T"].to_numpy(),
        }
    )
    t = int(horizon_days)
    out = pd.DataFrame(index=summary.index)
    bg = _fit(clv.BetaGeoModel, data, cutoff)
    out["bgnbd_p_buy"] = 1 - _values(bg.expected_probability_no_purchase(t=t), n)
    out["bgnbd_expected_purchases"] = _values(bg.expected_purchases(future_t=t), n)
    pareto = _fit(clv.ParetoNBDModel, data, cutoff)
    out["pnbd_p_buy"] = 1 - _values(
        pareto.expected_purchase_probability(n_purchases=0, future_t=t), n
    )
    out["pnbd_expected_purchases"] = _values(pareto.expected_purchases(future_t=t), n)
    out["pnbd_p_alive"] = _values(pareto.expected_probability_alive(), n)
    # Gamma-Gamma is fitted on the repeat buyers whose repeat purchases had a value
    repeat = (summary["frequency"].to_numpy() > 0) & (
        summary["monetary_value"].fillna(0).to_numpy() > 0
    )
    spending = data.assign(monetary_value=summary["monetary_value"].to_numpy())
    if repeat.sum() >= MIN_REPEAT_BUYERS:
        gamma = _fit(
            clv.GammaGammaModel, spending.loc[repeat].reset_index(drop=True), cutoff
        )
        out["gg_expected_order_value"] = _values(
            gamma.expected_customer_spend(
                data=spending.assign(
                    frequency=np.where(repeat, spending["frequency"], 0),
                    monetary_value=spending["monetary_value"].where(repeat, 0.0),
                )
            ),
            n,
        )
    else:  # too few repeat buyers to fit spend per purchase: the average purchase day
        logger.warning(
            "BTYD at %s: %d repeat buyers (< %d): Gamma-Gamma not fitted, every customer "
            "gets the average spend per purchase day",
            cutoff.date(),
            int(repeat.sum()),
            MIN_REPEAT_BUYERS,
        )
        out["gg_expected_order_value"] = summary["day_spend_mean"]
    out[EXPECTED_SPEND] = (
        out["bgnbd_expected_purchases"] * out["gg_expected_order_value"]
    )
    probabilities = ["bgnbd_p_buy", "pnbd_p_buy", "pnbd_p_alive"]
    out[probabilities] = out[probabilities].clip(0.0, 1.0)  # rounding: 1 + 1e-15
    out = out.clip(lower=0.0)
    logger.info(
        "BTYD at %s: BG/NBD, Pareto/NBD and Gamma-Gamma fitted on %d customers "
        "(%d repeat buyers) in %.1f s",
        cutoff.date(),
        n,
        int(repeat.sum()),
        time.perf_counter() - start,
    )
    return out
