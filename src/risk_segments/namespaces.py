"""The use cases, each a Kedro namespace with its own parameters and catalog folder."""

# Namespaces whose raw source is one entity table (the synthetic sources, or a
# real table with the same columns in `conf/prod`).
TABULAR_NAMESPACES: tuple[str, ...] = ("seller_risk", "customer_churn")

# Namespaces whose raw source is an order log, turned into a customer view at cutoffs.
ORDER_LOG_NAMESPACES: tuple[str, ...] = ("repeat_purchase",)

ALL_NAMESPACES: tuple[str, ...] = TABULAR_NAMESPACES + ORDER_LOG_NAMESPACES
