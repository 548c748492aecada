"""repeat_purchase data_processing: order log -> single customer view at stacked cutoffs.

Features at a cutoff use only orders on or before the cutoff day; the labels
(bought again, spend) use only orders in the horizon after it. A cutoff whose
horizon runs past the end of the log gets no label: those are the customers
to score.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pandas as pd

from risk_segments.modeling.artifacts import source_fingerprint
from risk_segments.modeling.btyd import btyd_features
from risk_segments.schema import InvalidInputError

from .orders import ADAPTERS, check_transactions

logger = logging.getLogger(__name__)
DAY = pd.Timedelta(days=1)


def to_transactions(raw_orders: Any, options: dict[str, Any]) -> pd.DataFrame:
    """Map the raw orders into the transaction log: by a column mapping, or the Olist adapter."""
    source = options.get("source", "columns")
    if source not in ADAPTERS:
        raise ValueError(
            f"customer_view.source must be one of {sorted(ADAPTERS)}, got '{source}'"
        )
    transactions = _not_after_as_of(ADAPTERS[source](raw_orders, options), options)
    logger.info(
        "%s: %d orders by %d customers, %s to %s",
        source,
        len(transactions),
        transactions["customer_id"].nunique(),
        transactions["order_time"].min().date(),
        transactions["order_time"].max().date(),
    )
    return transactions.sort_values(["order_time", "order_id"], ignore_index=True)


def transactions_and_source(
    raw_orders: Any, options: dict[str, Any]
) -> tuple[pd.DataFrame, dict[str, str]]:
    """`to_transactions`, and what the customer view is built from (the raw log's
    `source_fingerprint`, and when): the score run reads that view, and stops when
    tonight's log is no longer the one it was built from. A folder's files are read
    once, for both."""
    if isinstance(raw_orders, dict):
        raw_orders = {k: p() if callable(p) else p for k, p in raw_orders.items()}
    source = {
        "raw_orders": source_fingerprint(raw_orders),
        "built": pd.Timestamp.now("UTC").isoformat(timespec="seconds"),
    }
    return to_transactions(raw_orders, options), source


def _not_after_as_of(
    transactions: pd.DataFrame, options: dict[str, Any]
) -> pd.DataFrame:
    """Orders dated after the run's as-of date are refused (or, with
    `future_rows: exclude`, left out and counted): one wrong date must not move
    every cutoff into the future."""
    as_of = options.get("as_of")
    if not as_of:
        return transactions
    future = transactions["order_time"].dt.normalize() > pd.Timestamp(as_of)
    if not future.any():
        return transactions
    name = options.get("source_name", "raw orders")
    examples = (
        transactions.loc[future, ["customer_id", "order_time"]]
        .head(5)
        .astype(str)
        .to_dict("records")
    )
    if options.get("future_rows", "error") == "exclude":
        logger.warning(
            "%s: %d orders dated after the as-of date %s left out (future_rows: exclude), e.g. %s",
            name,
            int(future.sum()),
            as_of,
            examples,
        )
        return transactions.loc[~future].reset_index(drop=True)
    raise InvalidInputError(
        f"{name}: {int(future.sum())} order(s) dated after the as-of date {as_of}, e.g. "
        f"{examples}; fix the dates, run with --params as_of=YYYY-MM-DD, or set "
        "customer_view.future_rows: exclude to leave them out and count them"
    )


def cutoff_dates(
    transactions: pd.DataFrame, options: dict[str, Any]
) -> tuple[list[pd.Timestamp], pd.Timestamp]:
    """Cutoffs every `every_months` month-ends from `first_cutoff`, plus the log's last day
    (the open-horizon cutoff); and the last day of the log."""
    end = transactions["order_time"].max().normalize()
    if options.get("as_of"):  # a cutoff never passes the as-of date
        end = min(end, pd.Timestamp(options["as_of"]))
    grid = pd.date_range(
        pd.Timestamp(options["first_cutoff"]),
        end,
        freq=f"{int(options['every_months'])}ME",
    )
    cutoffs = [c for c in grid if c <= end]
    if not cutoffs or cutoffs[-1] < end:
        cutoffs.append(end)
    return cutoffs, end


def _interpurchase(days: pd.DataFrame) -> pd.DataFrame:
    """Mean and sd of the days between distinct purchase days, per customer."""
    gaps = days.groupby("customer_id")["day"].diff().dt.days
    frame = pd.DataFrame({"customer_id": days["customer_id"], "gap": gaps}).dropna()
    return frame.groupby("customer_id")["gap"].agg(
        interpurchase_mean_days="mean", interpurchase_sd_days="std"
    )


def features_at(transactions: pd.DataFrame, cutoff: pd.Timestamp) -> pd.DataFrame:
    """One row per customer with a purchase on or before the cutoff day: RFM, tenure,
    inter-purchase times, recent windows, spend trend, and order attributes if present."""
    past = transactions.loc[transactions["order_time"] < cutoff + DAY]
    age = (cutoff + DAY - past["order_time"]).dt.total_seconds() / 86400.0
    g = past.groupby("customer_id")
    out = pd.DataFrame(
        {
            "recency_days": (
                cutoff - g["order_time"].max().dt.normalize()
            ).dt.days.astype(float),
            "tenure_days": (
                cutoff - g["order_time"].min().dt.normalize()
            ).dt.days.astype(float),
            "orders": g.size().astype(float),
            "monetary_total": g["amount"].sum(),
            "monetary_avg": g["amount"].mean(),
            "monetary_max": g["amount"].max(),
        }
    )
    days = past.assign(day=past["order_time"].dt.normalize())[
        ["customer_id", "day"]
    ].drop_duplicates()
    days = days.sort_values(["customer_id", "day"])
    out["frequency"] = days.groupby("customer_id").size().astype(float)
    out = out.join(_interpurchase(days))
    out["recency_to_gap"] = out["recency_days"] / out["interpurchase_mean_days"].where(
        out["interpurchase_mean_days"] > 0
    )
    for window in (90, 365):
        recent = past.loc[age <= window]
        out[f"orders_{window}d"] = (
            recent.groupby("customer_id")
            .size()
            .reindex(out.index, fill_value=0)
            .astype(float)
        )
        out[f"spend_{window}d"] = (
            recent.groupby("customer_id")["amount"]
            .sum()
            .reindex(out.index, fill_value=0.0)
        )
    previous = past.loc[(age > 90) & (age <= 180)]
    out["spend_prev_90d"] = (
        previous.groupby("customer_id")["amount"]
        .sum()
        .reindex(out.index, fill_value=0.0)
    )
    out["spend_trend"] = out["spend_90d"] - out["spend_prev_90d"]
    # what the customer spent per 90 days so far: the naive spend forecast
    out["spend_per_90d_hist"] = (
        out["monetary_total"] / np.maximum(out["tenure_days"] + 1, 90) * 90
    )
    if "items" in past:
        out["items_avg"] = g["items"].mean()
    if "review_score" in past:
        out["review_score_avg"] = g["review_score"].mean()
        out["review_score_last"] = (
            past.dropna(subset=["review_score"])
            .groupby("customer_id")["review_score"]
            .last()
        )
    if "late_delivery" in past:
        out["late_delivery_share"] = g["late_delivery"].mean()
        out["delivery_delay_avg"] = g["delivery_delay_days"].mean()
    if "payment_installments" in past:
        out["installments_avg"] = g["payment_installments"].mean()
    for column, name in (
        ("payment_type", "payment_type_main"),
        ("product_category", "product_category_last"),
        ("customer_state", "customer_state"),
    ):
        if column in past:
            out[name] = (
                past.dropna(subset=[column]).groupby("customer_id")[column].last()
            )
    return out


def _sample_customers(transactions: pd.DataFrame, n: int) -> pd.DataFrame:
    """The orders of about n customers, chosen by a hash of the id (the same ones every run)."""
    ids = pd.Series(transactions["customer_id"].unique())
    if n >= len(ids):
        return transactions
    keys = pd.util.hash_pandas_object(ids, index=False).to_numpy()
    kept = set(ids[np.argsort(keys, kind="stable")[:n]])
    logger.info(
        "customer_view.sample_customers: keeping %d of %d customers", n, len(ids)
    )
    return transactions.loc[transactions["customer_id"].isin(kept)].reset_index(
        drop=True
    )


def build_customer_view(
    transactions: pd.DataFrame, options: dict[str, Any], schema: dict[str, Any]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Stack the customer view at every cutoff (features as of the cutoff) with the labels
    from the horizon after it; rows whose horizon is still open keep empty labels. With
    `btyd: true`, BG/NBD, Pareto/NBD and Gamma-Gamma outputs join the features, each
    fitted on the purchases up to that cutoff."""
    check_transactions(transactions)
    if options.get("sample_customers"):
        transactions = _sample_customers(transactions, int(options["sample_customers"]))
    id_col, date_col, label_col = (
        schema["id_column"],
        schema["date_column"],
        schema["label_column"],
    )
    spend_col = options["spend_column"]
    horizon = pd.Timedelta(days=int(options["horizon_days"]))
    cutoffs, end = cutoff_dates(transactions, options)
    frames = []
    for cutoff in cutoffs:
        view = features_at(transactions, cutoff)
        # the peers' outputs (BTYD), fitted on the purchases up to the cutoff only
        if options.get("btyd", False):
            view = view.join(btyd_features(transactions, cutoff, horizon.days))
        labeled = cutoff + horizon <= end
        future = transactions.loc[
            (transactions["order_time"] >= cutoff + DAY)
            & (transactions["order_time"] < cutoff + DAY + horizon)
        ]
        spend = (
            future.groupby("customer_id")["amount"]
            .sum()
            .reindex(view.index, fill_value=0.0)
        )
        view[label_col] = pd.array(
            (spend.to_numpy() > 0).astype(int) if labeled else [pd.NA] * len(view),
            dtype="Int8",
        )
        view[spend_col] = spend.to_numpy() if labeled else np.nan
        # a purchase on a later day with zero value still counts as buying again
        if labeled:
            bought = (
                future.groupby("customer_id").size().reindex(view.index, fill_value=0)
                > 0
            )
            view[label_col] = pd.array(bought.astype(int).to_numpy(), dtype="Int8")
        view.insert(0, date_col, cutoff)
        frames.append(view.rename_axis(id_col).reset_index())
        logger.info(
            "cutoff %s: %d customers, %s",
            cutoff.date(),
            len(view),
            f"{view[label_col].astype(float).mean():.3f} buy again within {horizon.days} days"
            if labeled
            else "horizon still open (to score)",
        )
    stacked = pd.concat(frames, ignore_index=True)
    targets = stacked.loc[
        stacked[label_col].notna(), [id_col, date_col, spend_col]
    ].reset_index(drop=True)
    return stacked.drop(columns=[spend_col]), targets
