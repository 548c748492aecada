"""A user's own order log, end to end: draft it, then time `kedro run` on it.

    uv run python benchmarks/own_order_log.py                         # the three shapes, 3,000 customers
    uv run python benchmarks/own_order_log.py --shape retail --customers 40000

Works in a scratch copy of the project (nothing here is touched). Each shape is an
order log as an export writes it (`risk_segments.synthetic.user_tables`):

- `retail`: invoice lines in the UCI "Online Retail" shape: a unit price and a
  quantity per line, guest invoices without a customer, cancellations, month-first
  times without zero padding (`--unit-price`, `missing_customers: exclude`);
- `shop`: a shop's order export in the Shopify shape: one row per line item, the
  order's total, status and time on its first line only, refunded and voided
  orders (`exclude_values`);
- `monthly`: one file per month in a folder, as a European spreadsheet saves them
  (';', decimal comma, day-first times, Windows-1252): a PartitionedDataset.

It prints the lines, the draft's and the run's seconds, and the held-out ROC-AUC
and top-decile lift beside the logistic and the best buy-till-you-die baseline.
These are synthetic logs drawn from a buy-till-you-die-like process: they test the
reading of the shapes and the cost, not the model (the baselines are as good).
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import pandas as pd

from own_table import _copy_project, draft_and_train
from risk_segments.synthetic.user_tables import (
    line_item_log,
    order_log,
    shop_export,
    write_european_export,
)

SHAPES = {
    "retail": [
        "--customer", "CustomerID", "--date", "InvoiceDate", "--unit-price",
        "UnitPrice", "--quantity", "Quantity", "--order-id", "InvoiceNo",
    ],
    "shop": [
        "--customer", "Email", "--date", "Created at", "--amount", "Total",
        "--order-id", "Name",
    ],
    "monthly": [
        "--customer", "Client Ref", "--date", "Purchased At", "--amount",
        "Total (EUR)", "--order-id", "Basket",
    ],
}  # fmt: skip


def write_log(shape: str, customers: int, project: Path) -> tuple[str, int]:
    """The log written into the project as the shape's export; (its path, lines)."""
    if shape == "retail":
        lines = line_item_log(customers, seed=customers)
        lines.to_csv(project / "Online Retail.csv", index=False)
        return "Online Retail.csv", len(lines)
    if shape == "shop":
        lines = shop_export(customers, seed=customers)
        lines.to_csv(project / "orders_export.csv", index=False)
        return "orders_export.csv", len(lines)
    lines = order_log(customers, seed=customers)
    month = pd.to_datetime(lines["Purchased At"]).dt.strftime("%Y-%m")
    (project / "orders").mkdir()
    for name, part in lines.groupby(month):
        write_european_export(
            part,
            str(project / "orders" / f"orders_{name}.csv"),
            dates={"Purchased At": "%d.%m.%Y %H:%M"},
            numbers=("Total (EUR)",),
        )
    return "orders", len(lines)


def measure(shape: str, customers: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as folder:
        project = Path(folder)
        _copy_project(project)
        table, lines = write_log(shape, customers, project)
        draft, run, metrics = draft_and_train(
            project, f"log_{shape}", table, "--kind", "order_log", *SHAPES[shape]
        )
    baselines = metrics["baselines"]
    btyd = max(
        (k for k in baselines if k.startswith(("bgnbd", "pnbd"))),
        key=lambda k: baselines[k]["roc_auc"]["value"],
    )
    return {
        "lines": lines,
        "draft_s": draft,
        "run_s": run,
        "roc_auc": metrics["roc_auc"]["value"],
        "lift": metrics["lift_top_decile"]["value"],
        "logistic": baselines["logistic"]["roc_auc"]["value"],
        "btyd": baselines[btyd]["roc_auc"]["value"],
        "btyd_name": btyd,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--shape", choices=list(SHAPES), nargs="*", default=list(SHAPES)
    )
    parser.add_argument("--customers", type=int, default=3000)
    args = parser.parse_args()
    print(
        "shape     lines     draft    kedro run   ROC-AUC  lift   logistic  best BTYD"
    )
    for shape in args.shape:
        m = measure(shape, args.customers)
        print(
            f"{shape:<8} {m['lines']:>8,}  {m['draft_s']:5.1f} s  {m['run_s']:6.1f} s   "
            f"{m['roc_auc']:.3f}   {m['lift']:.2f}   {m['logistic']:.3f}    "
            f"{m['btyd']:.3f} ({m['btyd_name']})"
        )


if __name__ == "__main__":
    main()
