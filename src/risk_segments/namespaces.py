"""The use cases of this run, and the one helper that instantiates a stage per use case.

Which use cases exist is configuration (see `risk_segments.use_cases`): the
blocks of the run's parameters that declare a `kind`. The registry and every
`create_pipeline` ask here.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from kedro.pipeline import Pipeline

from risk_segments.use_cases import UseCaseConfigLoader, active_loader, declared


def _project_conf() -> Path:
    """The project's `conf` folder: the working directory's, else the source tree's."""
    here = Path.cwd() / "conf"
    return here if here.is_dir() else Path(__file__).resolve().parents[2] / "conf"


def use_cases() -> dict[str, str]:
    """{name: kind} of every use case the run's configuration declares.

    Inside a Kedro session this is the session's configuration (its `--env`);
    outside one (tests, scripts) the project's, for `KEDRO_ENV` or the default.
    """
    loader = active_loader()
    if loader is None:
        from risk_segments.settings import CONFIG_LOADER_ARGS  # noqa: PLC0415

        loader = UseCaseConfigLoader(
            conf_source=str(_project_conf()),
            env=os.environ.get("KEDRO_ENV"),
            **CONFIG_LOADER_ARGS,
        )
    return declared(loader["parameters"])


def tabular_namespaces() -> list[str]:
    """Use cases whose raw source is one table of entities (with a label or without)."""
    return [
        name for name, kind in use_cases().items() if kind in ("tabular", "segments")
    ]


def labeled_namespaces() -> list[str]:
    """Use cases with an outcome: a supervised score beside the segments."""
    return [name for name, kind in use_cases().items() if kind != "segments"]


def segments_namespaces() -> list[str]:
    """Use cases without an outcome: segments, profiles and their assignment only."""
    return [name for name, kind in use_cases().items() if kind == "segments"]


def order_log_namespaces() -> list[str]:
    """Use cases whose raw source is an order log, turned into a customer view at cutoffs."""
    return [name for name, kind in use_cases().items() if kind == "order_log"]


def all_namespaces() -> list[str]:
    """Every declared use case."""
    return list(use_cases())


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
