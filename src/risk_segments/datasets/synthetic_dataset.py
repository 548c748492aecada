"""Kedro datasets whose load generates the synthetic sources deterministically."""

from __future__ import annotations

import json
import logging
import time
from dataclasses import fields
from functools import lru_cache
from typing import Any

import pandas as pd
from kedro.io import AbstractDataset, DatasetError
from kedro_datasets._typing import TablePreview

from risk_segments.synthetic import GENERATORS

logger = logging.getLogger(__name__)
PARTS = ("features", "truth")


@lru_cache(maxsize=4)
def _generate(generator: str, config_items: tuple) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Generate once per process for a given config; features and truth share it."""
    config_cls, generate = GENERATORS[generator]
    start = time.perf_counter()
    raw, truth = generate(config_cls(**dict(config_items)))
    logger.info(
        "Generated synthetic %s: %d rows in %.1f s",
        generator,
        len(raw),
        time.perf_counter() - start,
    )
    return raw, truth


class SyntheticDataset(AbstractDataset[None, pd.DataFrame]):
    """Loads a synthetic source (``seller_panel`` or ``customer_base``) from its arguments.

    ``part: features`` is the raw table a real source would provide (with the
    nullable label); ``part: truth`` is the simulation's answer (true probability,
    archetype) that only evaluation reads. Same arguments, same rows, every time.

    Example catalog entry::

        seller_risk.raw_panel:
          type: risk_segments.datasets.SyntheticDataset
          generator: seller_panel
          part: features
          config: {seed: 42, n_rows: 240000}
    """

    def __init__(
        self,
        *,
        generator: str,
        part: str = "features",
        config: dict[str, Any] | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        if generator not in GENERATORS:
            raise DatasetError(
                f"Unknown synthetic generator '{generator}'; expected one of {sorted(GENERATORS)}"
            )
        if part not in PARTS:
            raise DatasetError(f"Unknown part '{part}'; expected one of {PARTS}")
        config = dict(config or {})
        known = {f.name for f in fields(GENERATORS[generator][0])}
        unknown = sorted(set(config) - known)
        if unknown:
            raise DatasetError(
                f"Unknown {generator} config keys {unknown}; expected some of {sorted(known)}"
            )
        self._generator = generator
        self._part = part
        self._config = config
        self.metadata = metadata

    def load(self) -> pd.DataFrame:
        """Generate (or reuse this process's copy of) the table and return a copy."""
        raw, truth = _generate(self._generator, tuple(sorted(self._config.items())))
        return (raw if self._part == "features" else truth).copy()

    def preview(self, nrows: int = 10) -> TablePreview:
        """The first rows, for Kedro-Viz (generating the table takes about a second)."""
        head = self.load().head(nrows)
        return TablePreview(json.loads(head.to_json(orient="split", date_format="iso")))

    def save(self, data: None) -> None:
        """Synthetic sources are read-only."""
        raise DatasetError(f"SyntheticDataset({self._generator}) is read-only")

    def _describe(self) -> dict[str, Any]:
        return {
            "generator": self._generator,
            "part": self._part,
            "config": self._config,
        }


class NoTruthDataset(AbstractDataset[None, pd.DataFrame]):
    """Stands in for the truth table on real data: an empty table, so reports say 'no oracle'."""

    def __init__(
        self,
        *,
        key_columns: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
    ):
        self._key_columns = list(key_columns or [])
        self.metadata = metadata

    def load(self) -> pd.DataFrame:
        """An empty truth table with only the key columns."""
        return pd.DataFrame(
            columns=[*self._key_columns, "true_probability", "true_archetype"]
        )

    def save(self, data: None) -> None:
        """Read-only."""
        raise DatasetError("NoTruthDataset is read-only")

    def _describe(self) -> dict[str, Any]:
        return {"key_columns": self._key_columns}
