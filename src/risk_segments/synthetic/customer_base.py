"""Synthetic marketplace customer base with a known answer (see docs/synthetic_data.md).

Each customer has a latent archetype and five latent traits (engagement,
purchase intensity, price sensitivity, satisfaction, recent fading). The 32
observed features are noisy readings of the traits; `churned_60d` is drawn from
a known probability with non-linear terms, categoricals and noise no feature
sees. The unlabeled rows are recent acquisitions (their 60-day window has not
closed) and customers with tracking gaps, so they differ in distribution.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .common import intercept_for_prevalence, mask_missing, sigmoid

logger = logging.getLogger(__name__)

ARCHETYPES = (
    "loyal_regulars",
    "deal_hunters",
    "new_explorers",
    "fading_users",
    "dormant_at_risk",
    "high_value_vips",
)
LATENTS = ("engagement", "intensity", "price_sensitivity", "satisfaction", "fading")
ARCHETYPE_MEANS = np.array(
    [
        [0.8, 0.8, -0.2, 0.6, -0.5],
        [0.2, 0.2, 1.5, 0.0, 0.0],
        [0.3, -0.6, 0.3, 0.2, 0.0],
        [-0.3, -0.2, 0.0, -0.5, 1.4],
        [-1.5, -1.3, 0.2, -0.3, 0.6],
        [1.2, 1.6, -0.8, 0.9, -0.6],
    ]
)
ESTABLISHED_MIX = np.array([0.24, 0.18, 0.10, 0.20, 0.16, 0.12])
RECENT_MIX = np.array([0.06, 0.14, 0.62, 0.08, 0.06, 0.04])

COUNTRIES = ("DE", "FR", "UK", "ES", "IT", "NL", "PL")
COUNTRY_SHARE = (0.24, 0.18, 0.2, 0.12, 0.12, 0.07, 0.07)
COUNTRY_EFFECT = (0.0, 0.05, -0.05, 0.1, 0.15, -0.1, 0.2)
DEVICES = ("ios", "android", "desktop", "mobile_web")
DEVICE_SHARE = (0.3, 0.32, 0.23, 0.15)
DEVICE_EFFECT = (-0.15, 0.0, 0.0, 0.35)
CHANNELS = ("organic", "paid_search", "paid_social", "referral", "affiliate", "email")
CHANNEL_SHARE = (0.3, 0.2, 0.18, 0.1, 0.12, 0.1)
CHANNEL_EFFECT = (-0.1, 0.05, 0.45, -0.35, 0.3, -0.1)
LOYALTY_TIERS = ("none", "bronze", "silver", "gold")
AGE_BANDS = ("18-24", "25-34", "35-44", "45-54", "55+")
AGE_SHARE = (0.16, 0.3, 0.24, 0.17, 0.13)
AGE_EFFECT = (0.3, 0.1, 0.0, -0.1, -0.15)

ENGAGEMENT_FIELDS = ("email_open_rate", "push_click_rate", "satisfaction_score")
PROFILE_FIELDS = ("device_type", "acquisition_channel", "age_band")
BEHAVIOURAL_FIELDS = (
    "sessions_30d",
    "avg_session_duration",
    "add_to_cart_rate",
    "days_since_last_visit",
    "pages_per_session",
    "search_count_30d",
    "wishlist_adds_30d",
    "cart_abandon_rate",
    "sessions_trend",
    "app_sessions_share",
    "days_active_30d",
    "product_views_30d",
)


@dataclass(frozen=True)
class CustomerBaseConfig:
    """Knobs of the customer base simulation; defaults are the calibrated base."""

    seed: int = 7
    n_customers: int = 240_000
    n_unlabeled: int = 60_000
    recent_share_of_unlabeled: float = 0.6
    snapshot_date: str = "2025-11-30"
    prevalence: float = 0.18
    trait_sd: float = 0.5
    label_signal_scale: float = 0.75
    label_unseen_noise_sd: float = 0.3
    engagement_missing_rate: float = 0.08
    profile_missing_rate: float = 0.03
    tracking_gap_missing_rate: float = 0.7
    n_archetypes: int = (
        6  # fewer: the first n archetypes only (a check of segmentation)
    )


def generate_customer_base(
    cfg: CustomerBaseConfig,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return (raw customer table with nullable label, truth table) for the config."""
    if not 0 <= cfg.n_unlabeled < cfg.n_customers:
        raise ValueError("n_unlabeled must be in [0, n_customers)")
    rng = np.random.default_rng(cfg.seed)
    n = cfg.n_customers
    n_recent = int(round(cfg.n_unlabeled * cfg.recent_share_of_unlabeled))
    n_gap = cfg.n_unlabeled - n_recent
    recent = np.zeros(n, dtype=bool)
    recent[rng.choice(n, size=n_recent, replace=False)] = True
    established = np.flatnonzero(~recent)
    tracking_gap = np.zeros(n, dtype=bool)
    tracking_gap[rng.choice(established, size=n_gap, replace=False)] = True
    labeled = ~recent & ~tracking_gap

    if not 2 <= cfg.n_archetypes <= len(ARCHETYPES):
        raise ValueError(f"n_archetypes must be in [2, {len(ARCHETYPES)}]")
    recent_mix, established_mix = (
        (RECENT_MIX, ESTABLISHED_MIX)
        if cfg.n_archetypes == len(ARCHETYPES)
        else (
            RECENT_MIX[: cfg.n_archetypes] / RECENT_MIX[: cfg.n_archetypes].sum(),
            ESTABLISHED_MIX[: cfg.n_archetypes]
            / ESTABLISHED_MIX[: cfg.n_archetypes].sum(),
        )
    )
    archetype = np.where(
        recent,
        rng.choice(len(recent_mix), size=n, p=recent_mix),
        rng.choice(len(established_mix), size=n, p=established_mix),
    )
    traits = ARCHETYPE_MEANS[archetype] + rng.normal(0, cfg.trait_sd, (n, len(LATENTS)))
    eng, intensity, price, sat, fading = (traits[:, j] for j in range(len(LATENTS)))
    tenure = np.where(
        recent,
        rng.integers(1, 60, n),
        np.clip(rng.lognormal(np.log(420), 0.7, n), 60, 3650),
    )
    logger.info("Simulated %d customers (%d unlabeled)", n, cfg.n_unlabeled)

    country = rng.choice(
        len(COUNTRIES), n, p=np.asarray(COUNTRY_SHARE) / sum(COUNTRY_SHARE)
    )
    device = rng.choice(len(DEVICES), n, p=DEVICE_SHARE)
    channel = rng.choice(len(CHANNELS), n, p=CHANNEL_SHARE)
    age = rng.choice(len(AGE_BANDS), n, p=AGE_SHARE)
    loyalty_score = intensity + 0.002 * tenure + rng.normal(0, 0.5, n)
    loyalty = np.digitize(loyalty_score, [0.3, 1.1, 1.9])

    sessions = rng.poisson(np.exp(1.8 + 0.8 * eng - 0.4 * fading))
    orders_90d = rng.poisson(np.exp(0.4 + 0.9 * intensity - 0.3 * fading))
    aov = np.exp(np.log(45) + 0.35 * intensity - 0.3 * price + rng.normal(0, 0.35, n))
    features = {
        "customer_id": np.char.add(
            "C", np.char.zfill(np.arange(1, n + 1).astype(str), 8)
        ),
        "snapshot_date": np.full(
            n, np.datetime64(pd.Timestamp(cfg.snapshot_date), "ns")
        ),
        # behavioural
        "sessions_30d": sessions,
        "avg_session_duration": np.exp(
            np.log(240) + 0.3 * eng + rng.normal(0, 0.35, n)
        ),
        "add_to_cart_rate": sigmoid(-2.0 + 0.5 * intensity + rng.normal(0, 0.3, n)),
        "days_since_last_visit": np.clip(
            np.round(rng.exponential(np.exp(1.6 - 0.9 * eng + 0.6 * fading))), 0, 365
        ),
        "pages_per_session": np.exp(np.log(5) + 0.2 * eng + rng.normal(0, 0.3, n)),
        "search_count_30d": rng.poisson(np.exp(1.2 + 0.6 * eng)),
        "wishlist_adds_30d": rng.poisson(np.exp(0.0 + 0.5 * eng + 0.3 * price)),
        "cart_abandon_rate": sigmoid(
            0.2 + 0.5 * price - 0.4 * intensity + rng.normal(0, 0.3, n)
        ),
        "sessions_trend": np.exp(rng.normal(-0.45 * fading, 0.2, n)),
        "app_sessions_share": sigmoid(
            np.asarray((1.0, 1.0, -2.0, -1.5))[device] + rng.normal(0, 0.5, n)
        ),
        "days_active_30d": rng.binomial(30, sigmoid(-1.2 + 1.0 * eng - 0.4 * fading)),
        "product_views_30d": rng.poisson(np.exp(2.5 + 0.8 * eng)),
        # transactional
        "orders_90d": orders_90d,
        "avg_order_value": np.round(aov, 2),
        "discount_usage_rate": sigmoid(-1.0 + 1.2 * price + rng.normal(0, 0.3, n)),
        "refund_rate": sigmoid(-3.0 - 0.6 * sat + rng.normal(0, 0.3, n)),
        "days_since_last_order": np.clip(
            np.round(rng.exponential(np.exp(3.2 - 0.8 * intensity + 0.5 * fading))),
            0,
            730,
        ),
        "total_spend_365d": np.round(
            aov
            * rng.poisson(np.exp(1.8 + 0.9 * intensity))
            * np.exp(rng.normal(0, 0.2, n)),
            2,
        ),
        "orders_trend": np.exp(rng.normal(-0.4 * fading, 0.25, n)),
        "payment_failures_90d": rng.poisson(np.exp(-2.0 + 0.4 * price)),
        "category_breadth": 1 + rng.poisson(np.exp(0.3 + 0.4 * intensity)),
        # profile
        "country": np.asarray(COUNTRIES)[country],
        "device_type": np.asarray(DEVICES)[device],
        "acquisition_channel": np.asarray(CHANNELS)[channel],
        "loyalty_tier": np.asarray(LOYALTY_TIERS)[loyalty],
        "tenure_days": np.round(tenure),
        "age_band": np.asarray(AGE_BANDS)[age],
        # engagement
        "email_open_rate": sigmoid(
            -1.0 + 0.6 * eng + 0.3 * sat + rng.normal(0, 0.3, n)
        ),
        "push_click_rate": sigmoid(-2.5 + 0.5 * eng + rng.normal(0, 0.3, n)),
        "support_tickets_90d": rng.poisson(np.exp(-1.0 - 0.6 * sat)),
        "satisfaction_score": np.clip(
            np.round(3.8 + 0.7 * sat + rng.normal(0, 0.5, n)), 1, 5
        ),
        "referrals_365d": rng.poisson(np.exp(-2.0 + 0.5 * sat + 0.5 * eng)),
    }
    for field in ENGAGEMENT_FIELDS:
        features[field] = mask_missing(
            rng, features[field], cfg.engagement_missing_rate
        )
    for field in PROFILE_FIELDS:
        values = features[field].astype(object)
        values[rng.random(n) < cfg.profile_missing_rate] = None
        features[field] = values
    gap_rows = tracking_gap & (rng.random(n) < cfg.tracking_gap_missing_rate)
    for field in BEHAVIOURAL_FIELDS:  # a tracking gap loses the whole clickstream
        features[field] = np.where(gap_rows, np.nan, features[field].astype(float))

    risk = (
        -0.9 * eng
        - 0.7 * intensity
        + 1.0 * fading
        - 0.5 * sat
        + 0.3 * price
        + 0.6 * np.clip(fading, 0, None) * np.clip(-sat, 0, None)
        + 0.4 * np.clip(-eng, 0, None) ** 2
        + np.asarray((0.35, 0.0, -0.15, -0.4))[loyalty]
        + np.asarray(COUNTRY_EFFECT)[country]
        + np.asarray(DEVICE_EFFECT)[device]
        + np.asarray(CHANNEL_EFFECT)[channel]
        + np.asarray(AGE_EFFECT)[age]
    )
    logit = cfg.label_signal_scale * risk + rng.normal(0, cfg.label_unseen_noise_sd, n)
    intercept = intercept_for_prevalence(logit[labeled], cfg.prevalence)
    true_prob = sigmoid(intercept + logit)
    draws = (rng.random(n) < true_prob).astype("int8")

    raw = pd.DataFrame(features)  # categoricals become pandas' str dtype, None -> NaN
    raw["churned_60d"] = pd.array(draws, dtype="Int8")
    raw.loc[~labeled, "churned_60d"] = pd.NA
    truth = pd.DataFrame(
        {
            "customer_id": raw["customer_id"],
            "snapshot_date": raw["snapshot_date"],
            "true_archetype": np.asarray(ARCHETYPES)[archetype],
            "true_probability": true_prob,
            "unlabeled_reason": np.select(
                [recent, tracking_gap], ["recent_acquisition", "tracking_gap"], ""
            ),
        }
    )
    return raw, truth
