"""The use cases, each a Kedro namespace with its own parameters and catalog folder,
and the one helper that instantiates a stage template per namespace."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from kedro.pipeline import Pipeline

# Namespaces whose raw source is one entity table (the synthetic sources, or a
# real table with the same columns in `conf/prod`).
TABULAR_NAMESPACES: tuple[str, ...] = ("seller_risk", "customer_churn")

# Namespaces whose raw source is an order log, turned into a customer view at cutoffs.
ORDER_LOG_NAMESPACES: tuple[str, ...] = ("repeat_purchase",)

ALL_NAMESPACES: tuple[str, ...] = TABULAR_NAMESPACES + ORDER_LOG_NAMESPACES


def per_namespace(
    template: Callable[[], Pipeline],
    namespaces: Iterable[str],
    stage: str,
    **options: Any,
) -> Pipeline:
    """One copy of a stage's template per namespace, tagged with the namespace and the stage.

    `options` go to `Pipeline(...)` (inputs, parameters, ...); an option given as
    a function is called with the namespace, for mappings that differ by namespace.
    """
    copies = [
        Pipeline(
            template(),
            namespace=ns,
            tags=[ns, stage],
            **{k: v(ns) if callable(v) else v for k, v in options.items()},
        )
        for ns in namespaces
    ]
    return sum(copies, Pipeline([]))
