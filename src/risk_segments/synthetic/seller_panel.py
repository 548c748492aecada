"""Synthetic seller x month panel with a known answer (see docs/synthetic_data.md).

Every seller carries a latent behavioural archetype that persists month to month
through a Markov chain, plus seller-level random effects and an AR(1) monthly
drift on five latent dimensions (operations, customer experience, volume,
discounting, compliance). The 36 observed features are noisy readings of those
latents; the label is drawn from a known probability that depends non-linearly
on the latents, their recent deterioration, categoricals and an interaction,
plus noise no feature sees. The probability and the archetype go to a separate
truth table that only evaluation reads.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .common import (
    choice_by_row,
    intercept_for_prevalence,
    observed_rate,
    sigmoid,
)

logger = logging.getLogger(__name__)

ARCHETYPES = (
    "steady_power_sellers",
    "new_ramping_sellers",
    "discount_heavy_high_return",
    "struggling_operations",
    "dormant_accounts",
    "policy_risk_accounts",
)
LATENTS = ("ops", "cx", "volume", "discount", "compliance")

# Latent means per archetype: rows follow ARCHETYPES, columns LATENTS.
# Higher ops / cx / compliance means worse; higher volume / discount means more.
ARCHETYPE_MEANS = np.array(
    [
        [-0.9, -0.7, 1.2, -0.3, -0.7],
        [0.3, 0.2, -0.6, 0.2, 0.3],
        [0.1, 0.8, 0.5, 1.6, 0.0],
        [1.5, 1.0, 0.0, 0.0, 0.2],
        [0.2, 0.0, -2.2, -0.6, 0.0],
        [0.3, 0.4, 0.3, 0.4, 1.8],
    ]
)
# Where a seller goes when it leaves its archetype (diagonal is the persistence).
ARCHETYPE_MOVES = np.array(
    [
        [0.00, 0.05, 0.25, 0.30, 0.25, 0.15],
        [0.35, 0.00, 0.15, 0.20, 0.20, 0.10],
        [0.30, 0.00, 0.00, 0.30, 0.20, 0.20],
        [0.30, 0.00, 0.15, 0.00, 0.30, 0.25],
        [0.30, 0.10, 0.20, 0.20, 0.00, 0.20],
        [0.20, 0.00, 0.20, 0.30, 0.30, 0.00],
    ]
)
INITIAL_MIX = np.array([0.26, 0.10, 0.16, 0.16, 0.16, 0.16])
ENTRANT_MIX = np.array([0.08, 0.62, 0.08, 0.08, 0.06, 0.08])

MARKETPLACES = ("US", "UK", "DE", "FR", "IT", "ES", "JP", "IN")
MARKETPLACE_SHARE = (0.34, 0.12, 0.13, 0.09, 0.07, 0.07, 0.08, 0.10)
MARKETPLACE_EFFECT = (0.0, 0.0, -0.15, 0.1, 0.2, 0.15, -0.25, 0.4)
BUSINESS_TYPES = ("individual", "small_business", "enterprise", "brand_owner")
BUSINESS_SHARE = (0.38, 0.37, 0.12, 0.13)
BUSINESS_EFFECT = (0.4, 0.0, -0.45, -0.25)
CHANNELS = ("marketplace_fulfilled", "merchant_fulfilled", "mixed")
CHANNEL_SHARE = (0.45, 0.40, 0.15)
CHANNEL_EFFECT = (-0.25, 0.35, 0.0)
CATEGORIES = (
    "electronics",
    "home",
    "fashion",
    "beauty",
    "toys",
    "sports",
    "books",
    "other",
)
CATEGORY_SHARE = (0.15, 0.18, 0.17, 0.10, 0.08, 0.10, 0.10, 0.12)
CATEGORY_EFFECT = (0.35, -0.1, 0.05, 0.25, 0.2, -0.05, -0.35, 0.0)
CATEGORY_LOG_ASP = (4.6, 3.6, 3.4, 3.0, 3.2, 3.7, 2.7, 3.3)

AD_FIELDS = ("ad_spend_30d", "ad_click_rate")
CONTACT_FIELDS = ("contact_rate", "response_time_hours")
NEW_SELLER_DAYS = 180


@dataclass(frozen=True)
class SellerPanelConfig:
    """Knobs of the seller panel simulation; defaults are the calibrated base."""

    seed: int = 42
    n_rows: int = 240_000
    n_months: int = 18
    first_month: str = "2024-06-30"
    prevalence: float = 0.074
    unlabeled_months: int = 2
    persistence: float = 0.9
    exit_rate: float = 0.03
    seller_effect_sd: float = 0.4
    monthly_drift_ar: float = 0.5
    monthly_drift_sd: float = 0.4
    label_signal_scale: float = 1.0
    label_unseen_noise_sd: float = 0.2
    rate_window_orders: float = 6.0
    ad_missing_rate: float = 0.12
    contact_missing_rate: float = 0.06
    new_seller_missing_multiplier: float = 3.5
    n_archetypes: int = (
        6  # fewer: the first n archetypes only (a check of segmentation)
    )


def _pick(
    rng: np.random.Generator, options: tuple, shares: tuple, n: int
) -> np.ndarray:
    return rng.choice(len(options), size=n, p=np.asarray(shares) / np.sum(shares))


def _first(mix: np.ndarray, k: int) -> np.ndarray:
    """The mix over the first k archetypes (the full one, untouched, when k is all)."""
    return mix if k == len(mix) else mix[:k] / mix[:k].sum()


def _transition_matrix(persistence: float, k: int = len(ARCHETYPES)) -> np.ndarray:
    moves = ARCHETYPE_MOVES if k == len(ARCHETYPES) else ARCHETYPE_MOVES[:k, :k]
    moves = moves / moves.sum(axis=1, keepdims=True)
    return persistence * np.eye(k) + (1.0 - persistence) * moves


def _simulate_months(cfg: SellerPanelConfig, rng: np.random.Generator) -> dict:
    """Walk sellers through the months: who is active, archetype and latent state."""
    n_initial = max(int(round(cfg.n_rows / cfg.n_months)), 10)
    n_entrants = int(round(cfg.exit_rate * n_initial))
    n_sellers = n_initial + n_entrants * (cfg.n_months - 1)
    entry_month = np.concatenate(
        [
            np.zeros(n_initial, dtype=np.int16),
            np.repeat(np.arange(1, cfg.n_months, dtype=np.int16), n_entrants),
        ]
    )
    if not 2 <= cfg.n_archetypes <= len(ARCHETYPES):
        raise ValueError(f"n_archetypes must be in [2, {len(ARCHETYPES)}]")
    transition = _transition_matrix(cfg.persistence, cfg.n_archetypes)
    seller_effect = rng.normal(
        0.0, cfg.seller_effect_sd, size=(n_sellers, len(LATENTS))
    )
    drift = np.zeros((n_sellers, len(LATENTS)))
    archetype = np.full(n_sellers, -1, dtype=np.int16)
    active = np.zeros(n_sellers, dtype=bool)
    exited = np.zeros(n_sellers, dtype=bool)
    latent_lag1 = np.full((n_sellers, len(LATENTS)), np.nan)
    latent_lag2 = np.full((n_sellers, len(LATENTS)), np.nan)
    latent_lag3 = np.full((n_sellers, len(LATENTS)), np.nan)

    rows = {"seller": [], "month": [], "archetype": [], "latent": [], "latent_lag3": []}
    for month in range(cfg.n_months):
        # exits: dormant accounts leave more often
        if month > 0:
            hazard = np.where(archetype == 4, 2.0 * cfg.exit_rate, 0.8 * cfg.exit_rate)
            leaving = active & (rng.random(n_sellers) < hazard)
            exited |= leaving
            active &= ~leaving
            moving = np.flatnonzero(active)
            archetype[moving] = choice_by_row(rng, transition[archetype[moving]])
        entering = np.flatnonzero((entry_month == month) & ~exited & ~active)
        mix = _first(INITIAL_MIX if month == 0 else ENTRANT_MIX, cfg.n_archetypes)
        archetype[entering] = rng.choice(len(mix), size=len(entering), p=mix)
        active[entering] = True

        idx = np.flatnonzero(active)
        drift[idx] = cfg.monthly_drift_ar * drift[idx] + rng.normal(
            0.0, cfg.monthly_drift_sd, size=(len(idx), len(LATENTS))
        )
        latent = ARCHETYPE_MEANS[archetype[idx]] + seller_effect[idx] + drift[idx]
        lag3 = latent_lag3[idx]
        lag3 = np.where(np.isnan(lag3), latent, lag3)
        rows["seller"].append(idx)
        rows["month"].append(np.full(len(idx), month, dtype=np.int16))
        rows["archetype"].append(archetype[idx].copy())
        rows["latent"].append(latent)
        rows["latent_lag3"].append(lag3)
        latent_lag3[idx] = latent_lag2[idx]
        latent_lag2[idx] = latent_lag1[idx]
        latent_lag1[idx] = latent
    out = {key: np.concatenate(value) for key, value in rows.items()}
    out["n_sellers"] = n_sellers
    out["entry_month"] = entry_month
    out["seller_effect"] = seller_effect
    return out


def generate_seller_panel(cfg: SellerPanelConfig) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return (raw seller-month table with label, truth table) for the config."""
    rng = np.random.default_rng(cfg.seed)
    sim = _simulate_months(cfg, rng)
    n_sellers = sim["n_sellers"]
    seller = sim["seller"]
    month = sim["month"]
    lat = sim["latent"]
    ops, cx, volume, discount, compliance = (lat[:, j] for j in range(len(LATENTS)))
    n = len(seller)
    logger.info("Simulated %d seller-months for %d sellers", n, n_sellers)

    # seller-level static attributes
    marketplace = _pick(rng, MARKETPLACES, MARKETPLACE_SHARE, n_sellers)
    business = _pick(rng, BUSINESS_TYPES, BUSINESS_SHARE, n_sellers)
    channel = _pick(rng, CHANNELS, CHANNEL_SHARE, n_sellers)
    category = _pick(rng, CATEGORIES, CATEGORY_SHARE, n_sellers)
    initial_tenure = np.where(
        sim["entry_month"] == 0,
        np.clip(rng.lognormal(np.log(600), 0.8, n_sellers), 30, 5000),
        rng.integers(0, 30, n_sellers),
    )
    doc_age_at_entry = rng.uniform(0, 540, n_sellers) + 150 * np.clip(
        sim["seller_effect"][:, 4], 0, None
    )
    suspensions = rng.poisson(np.exp(-2.3 + 1.5 * sim["seller_effect"][:, 4]))
    months_in = (month - sim["entry_month"][seller]).astype(float)
    tenure = initial_tenure[seller] + 30.4 * months_in
    is_new = tenure < NEW_SELLER_DAYS

    # commercial
    orders = rng.poisson(np.exp(3.3 + 1.0 * volume + rng.normal(0, 0.25, n)))
    asp = np.exp(
        np.asarray(CATEGORY_LOG_ASP)[category[seller]]
        - 0.25 * discount
        + rng.normal(0, 0.3, n)
    )
    trials = cfg.rate_window_orders * orders + 10
    gmv = orders * asp * np.exp(rng.normal(0, 0.1, n))
    listings = np.round(np.exp(4.0 + 0.7 * volume + rng.normal(0, 0.5, n)))
    ad_spend = np.where(
        rng.random(n) < sigmoid(0.5 + 0.8 * volume),
        gmv * np.exp(rng.normal(np.log(0.06), 0.6, n)),
        0.0,
    )
    buy_box = sigmoid(
        0.6 - 0.6 * ops + 0.4 * discount + 0.3 * volume + rng.normal(0, 0.3, n)
    )
    discount_share = sigmoid(-1.6 + 1.1 * discount + rng.normal(0, 0.3, n))

    features = {
        "seller_id": np.char.add("S", np.char.zfill((seller + 1).astype(str), 7)),
        "snapshot_date": pd.date_range(
            cfg.first_month, periods=cfg.n_months, freq="ME"
        )[month],
        # profile
        "marketplace": np.asarray(MARKETPLACES)[marketplace[seller]],
        "tenure_days": np.round(tenure),
        "business_type": np.asarray(BUSINESS_TYPES)[business[seller]],
        "fulfillment_channel": np.asarray(CHANNELS)[channel[seller]],
        "primary_category": np.asarray(CATEGORIES)[category[seller]],
        "listings_count": listings,
        # operational
        "on_time_ship_rate": 1 - observed_rate(rng, sigmoid(-2.2 + 0.9 * ops), trials),
        "cancellation_rate": observed_rate(
            rng, sigmoid(-3.6 + 0.8 * ops + 0.3 * compliance), orders
        ),
        "late_shipment_rate": observed_rate(rng, sigmoid(-3.0 + 1.0 * ops), trials),
        "return_rate": observed_rate(
            rng, sigmoid(-2.6 + 0.7 * discount + 0.5 * cx), orders
        ),
        "valid_tracking_rate": 1
        - observed_rate(rng, sigmoid(-2.5 + 0.8 * ops), trials),
        "avg_handling_days": np.exp(np.log(1.5) + 0.3 * ops + rng.normal(0, 0.2, n)),
        "stockout_rate": observed_rate(
            rng, sigmoid(-3.0 + 0.6 * ops - 0.2 * volume), np.maximum(listings, 1)
        ),
        "refund_rate": observed_rate(
            rng, sigmoid(-3.0 + 0.6 * cx + 0.4 * discount), orders
        ),
        "listing_error_rate": observed_rate(
            rng, sigmoid(-3.2 + 0.9 * compliance + 0.2 * ops), trials
        ),
        "shipping_cost_ratio": np.clip(rng.normal(0.12 + 0.02 * ops, 0.03, n), 0, 1),
        # customer experience
        "defect_rate": observed_rate(rng, sigmoid(-4.0 + 0.9 * cx + 0.3 * ops), trials),
        "negative_feedback_rate": observed_rate(rng, sigmoid(-3.0 + 0.8 * cx), trials),
        "a_to_z_claim_rate": observed_rate(
            rng, sigmoid(-4.5 + 0.8 * cx + 0.4 * compliance), orders
        ),
        "contact_rate": observed_rate(rng, sigmoid(-2.8 + 0.6 * cx), trials),
        "avg_rating": np.clip(4.5 - 0.35 * cx + rng.normal(0, 0.25, n), 1, 5),
        "review_count_30d": rng.poisson(0.08 * orders + 0.1),
        "chargeback_rate": observed_rate(
            rng, sigmoid(-5.0 + 0.6 * cx + 0.6 * compliance), orders
        ),
        "response_time_hours": np.exp(np.log(12) + 0.4 * cx + rng.normal(0, 0.4, n)),
        # commercial
        "orders_30d": orders,
        "gmv_30d": np.round(gmv, 2),
        "asp": np.round(asp, 2),
        "ad_spend_30d": np.round(ad_spend, 2),
        "ad_click_rate": sigmoid(-4.0 + 0.3 * volume + rng.normal(0, 0.3, n)),
        "buy_box_win_rate": buy_box,
        "discount_share": discount_share,
        # support / compliance
        "policy_warnings_90d": rng.poisson(np.exp(-0.2 + 1.0 * compliance)),
        "suspension_history": suspensions[seller],
        "document_verification_age_days": np.round(
            doc_age_at_entry[seller]
            + 30.4 * months_in
            + 120 * np.clip(compliance, 0, None)
        ),
        "ip_complaints_90d": rng.poisson(np.exp(-1.2 + 1.0 * compliance)),
        "support_tickets_30d": rng.poisson(np.exp(0.2 + 0.5 * cx + 0.3 * volume)),
    }

    # missingness: more for new sellers, overall rate as configured
    share_new = is_new.mean()
    for fields, rate in (
        (AD_FIELDS, cfg.ad_missing_rate),
        (CONTACT_FIELDS, cfg.contact_missing_rate),
    ):
        base = rate / (1 + (cfg.new_seller_missing_multiplier - 1) * share_new)
        p_missing = np.where(is_new, cfg.new_seller_missing_multiplier * base, base)
        row_missing = rng.random(n) < p_missing  # a whole source is absent together
        for field in fields:
            features[field] = np.where(
                row_missing, np.nan, features[field].astype(float)
            )

    # the label: known probability, non-linear, with noise no feature sees
    lag3 = sim["latent_lag3"]  # deterioration over the last three months
    deterioration = 0.6 * np.clip(ops - lag3[:, 0], 0, None) + 0.4 * np.clip(
        cx - lag3[:, 1], 0, None
    )
    risk = (
        1.0 * ops
        + 0.8 * cx
        + 1.2 * compliance
        - 0.35 * volume
        + deterioration
        + 0.6 * np.clip(ops, 0, None) * np.clip(compliance, 0, None)
        + 0.6 * is_new
        + np.asarray(MARKETPLACE_EFFECT)[marketplace[seller]]
        + np.asarray(BUSINESS_EFFECT)[business[seller]]
        + np.asarray(CHANNEL_EFFECT)[channel[seller]]
        + np.asarray(CATEGORY_EFFECT)[category[seller]]
        + 0.5 * (sim["archetype"] == 5)
    )
    logit = cfg.label_signal_scale * risk + rng.normal(0, cfg.label_unseen_noise_sd, n)
    labeled = month < cfg.n_months - cfg.unlabeled_months
    intercept = intercept_for_prevalence(logit[labeled], cfg.prevalence)
    true_prob = sigmoid(intercept + logit)
    draws = (rng.random(n) < true_prob).astype("int8")

    raw = pd.DataFrame(features)
    raw["high_risk_60d"] = pd.array(np.where(labeled, draws, 0), dtype="Int8")
    raw.loc[~labeled, "high_risk_60d"] = pd.NA
    truth = pd.DataFrame(
        {
            "seller_id": raw["seller_id"],
            "snapshot_date": raw["snapshot_date"],
            "true_archetype": np.asarray(ARCHETYPES)[sim["archetype"]],
            "true_probability": true_prob,
        }
    )
    return raw, truth
