"""Project commands of the Kedro CLI: `kedro draft-use-case`, and `kedro run` with a
plain answer to a use case name no pipeline has."""

from __future__ import annotations

import difflib
import re
from pathlib import Path

import click
from kedro.framework.cli.project import run as kedro_run


@click.group(name="risk_segments")
def cli() -> None:
    """Project commands."""


@cli.command("run", params=list(kedro_run.params), help=kedro_run.help)
@click.pass_context
def run(ctx: click.Context, **options: object) -> object:
    """Kedro's own `run`; `--namespaces` with a name no use case has (a typo, a use
    case not drafted yet) gets the names there are instead of Kedro's traceback."""
    try:
        return ctx.invoke(kedro_run, **options)
    except ValueError as err:
        unknown = re.search(r"following namespaces: \[(.*)\]", str(err))
        if unknown is None:
            raise
        raise click.ClickException(
            _no_such_use_case(unknown.group(1), options)
        ) from err


def _no_such_use_case(unknown: str, options: dict) -> str:
    """What to say of `--namespaces` names no node of the run's pipeline has."""
    from kedro.framework.project import pipelines  # noqa: PLC0415 (registered by now)

    chosen = options.get("pipeline") or "__default__"
    known = sorted(
        {n.namespace.split(".")[0] for n in pipelines[chosen].nodes if n.namespace}
    )
    names = [n.strip(" '\"") for n in unknown.split(",")]
    close = {n: difflib.get_close_matches(n, known, n=1) for n in names}
    hints = "".join(f" ('{n}': did you mean '{m[0]}'?)" for n, m in close.items() if m)
    return (
        f"--namespaces: no use case named {', '.join(names)}{hints}; the use cases "
        f"are {', '.join(known)} (conf/base/parameters_*.yml; a new one: kedro "
        "draft-use-case)"
    )


@cli.command("draft-use-case")
@click.option("--name", required=True, help="the use case's name (its Kedro namespace)")
@click.option(
    "--table",
    "table",
    required=True,
    type=click.Path(exists=True, path_type=Path),
    help="the CSV, JSON or parquet file (or a folder of them, one per month)",
)
@click.option(
    "--kind",
    type=click.Choice(["tabular", "order_log"]),
    default="tabular",
    show_default=True,
    help="one row per entity (tabular) or a transaction log (order_log)",
)
@click.option(
    "--id",
    "id_column",
    help="tabular: the entity id column (none: each row is named by its line in the file)",
)
@click.option(
    "--label",
    help="tabular: the outcome column (blank for unlabeled rows); leave it out for "
    "segments only (a table without an outcome)",
)
@click.option(
    "--positive",
    multiple=True,
    help="tabular: the label value that means positive (repeat it for several)",
)
@click.option(
    "--negative",
    multiple=True,
    help="tabular: with a label of more than two values, the one(s) that mean "
    "negative; any other value is then unlabeled (repeat it for several)",
)
@click.option(
    "--positive-above",
    "above",
    type=float,
    help="tabular: a label that is a number (returns, days late): positive above "
    "this value, negative at or below it",
)
@click.option(
    "--date",
    help="the snapshot date column (tabular, optional) or the order date (order_log)",
)
@click.option("--customer", help="order_log: the customer column")
@click.option("--amount", help="order_log: the order (or line) amount column")
@click.option(
    "--unit-price",
    "unit_price",
    help="order_log: a unit price column, instead of --amount (needs --quantity)",
)
@click.option("--quantity", help="order_log: the quantity column (optional)")
@click.option(
    "--order-id", "order_id", help="order_log: the order id column (optional)"
)
@click.option(
    "--horizon-days",
    default=90,
    show_default=True,
    help="order_log: days after a cutoff that count as buying again",
)
@click.option(
    "--force", is_flag=True, help="overwrite the files of an existing drafted use case"
)
def draft_use_case(**options: object) -> None:
    """Profile a table and write conf/base/parameters_NAME.yml and catalog_NAME.yml.

    \b
    kedro draft-use-case --name NAME --table PATH [--id COL] [--label COL [--positive VALUE] [--negative VALUE] | [--positive-above N]] [--date COL]
    (no --label: a table without an outcome, segments only)
    kedro draft-use-case --name NAME --table PATH --kind order_log --customer COL --date COL --amount COL
                         [--quantity COL] [--order-id COL] [--horizon-days N]
    (invoice lines with a unit price: --unit-price COL --quantity COL instead of --amount)
    """
    # imported here: every `kedro` command loads this module, only this one drafts
    from risk_segments.drafting import (
        DraftError,
        check_name,
        draft_order_log,
        draft_tabular,
        write_draft,
    )

    project = Path.cwd()
    conf = project / "conf" / "base"
    name, table = str(options["name"]), Path(str(options["table"]))
    try:
        check_name(name, conf, bool(options["force"]))
        if options["kind"] == "order_log":
            _require(options, "customer", "date")
            if options["amount"] and options["unit_price"]:
                raise DraftError("order_log: give --amount, or --unit-price, not both")
            if options["unit_price"]:
                _require(options, "quantity")
            columns = {
                r: options[r]
                for r in (
                    "customer",
                    "date",
                    "amount",
                    "unit_price",
                    "quantity",
                    "order_id",
                )
            }
            draft = draft_order_log(
                name, table, project, columns, int(options["horizon_days"])
            )
        else:
            chosen = options["positive"] or options["negative"]
            if not options["label"] and (chosen or options["above"] is not None):
                raise DraftError(
                    "--positive, --negative and --positive-above read --label: give it"
                )
            if chosen and options["above"] is not None:
                raise DraftError(
                    "--positive-above reads the label as a number: leave out "
                    "--positive and --negative"
                )
            draft = draft_tabular(
                name,
                table,
                project,
                options["id_column"] and str(options["id_column"]),
                options["label"] and str(options["label"]),
                _one_or_list(options["positive"]),
                options["date"] and str(options["date"]),
                _one_or_list(options["negative"]),
                options["above"],
            )
    except DraftError as err:
        raise click.ClickException(str(err)) from err
    for path in write_draft(draft, conf, name):
        click.echo(f"wrote {path.relative_to(project)}")
    for line in draft.summary:
        click.echo(f"  note: {line}")
    click.echo(
        f"next: kedro run --namespaces={name}   then: kedro run --pipeline=score --namespaces={name}"
    )
    if f"{name}.raw_orders:" in draft.catalog:  # the score run reads the customer view
        click.echo(
            f"      (nightly, on tonight's log: kedro run --pipeline=data_processing "
            f"--namespaces={name}, then the score run)"
        )
    if f"{name}.score_input:" in draft.catalog and "runtime_params" in draft.catalog:
        click.echo(
            f"      (tonight's file: ... --namespaces={name} --params score_file.{name}=PATH)"
        )


def _one_or_list(values: object) -> str | list[str] | None:
    """A repeatable option: None, its one value, or the list of them."""
    listed = [str(v) for v in values or ()]  # type: ignore[attr-defined]
    return None if not listed else listed[0] if len(listed) == 1 else listed


def _require(options: dict, *names: str) -> None:
    flags = {"id_column": "--id", "order_id": "--order-id"}
    missing = [
        flags.get(n, f"--{n.replace('_', '-')}") for n in names if not options.get(n)
    ]
    if missing:
        kind = options["kind"]
        raise click.ClickException(f"--kind {kind} needs {', '.join(missing)}")
