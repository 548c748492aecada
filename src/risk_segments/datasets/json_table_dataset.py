"""JSON records as API exports write them, nested objects included, as one flat table.

`pandas.JSONDataset` reads `{"plan": {"name": "pro", "price": 25}}` as a column `plan`
of dicts: no column to map, and a crash where a column's values are compared. Here
nested objects become columns of their own (`plan.name`, `plan.price`, as
`pandas.json_normalize` names them) and a list becomes its JSON text (one value the
draft can profile, or set aside).
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pandas as pd
from kedro.io import DatasetError
from kedro_datasets.pandas import JSONDataset


def json_records(path: Path, load_args: dict[str, Any]) -> pd.DataFrame:
    """JSON records as a flat table: an array of objects, one object per line, or an
    API's envelope around them (`{"data": [...], "meta": {...}}`, `{"results": [...]}`:
    the one list of objects the top level holds)."""
    if load_args.get("lines"):
        return flat_records(pd.read_json(path, **load_args))
    # utf-8-sig: a byte-order mark, as Windows tools write one, is no JSON
    with Path(path).open(encoding=load_args.get("encoding", "utf-8-sig")) as file:
        parsed = json.load(file)
    if isinstance(parsed, dict):
        lists = [
            key
            for key, value in parsed.items()
            if isinstance(value, list) and value and isinstance(value[0], dict)
        ]
        if len(lists) != 1:
            raise DatasetError(
                f"'{path}' is one JSON object, not records: its records should be the "
                f"one list of objects it holds, and it holds {len(lists)} "
                f"({lists[:5]}); write the records as an array or one per line"
            )
        parsed = parsed[lists[0]]
    return flat_records(pd.read_json(io.StringIO(json.dumps(parsed)), **load_args))


def flat_records(frame: pd.DataFrame) -> pd.DataFrame:
    """The table with every nested object spread into dotted columns and every list
    as its JSON text; a table without either is returned as it is."""
    columns: dict[str, pd.Series] = {}
    changed = False
    for name in frame.columns:
        values = frame[name]
        if values.dtype != object:
            columns[str(name)] = values
            continue
        objects = values.map(lambda v: isinstance(v, dict))
        if objects.any():
            nested = pd.json_normalize(
                [v if isinstance(v, dict) else {} for v in values]
            ).set_axis(frame.index)
            for sub, column in flat_records(nested).items():
                columns[f"{name}.{sub}"] = column
            changed = True
        elif values.map(lambda v: isinstance(v, list)).any():
            columns[str(name)] = values.map(
                lambda v: json.dumps(v) if isinstance(v, list) else v
            )
            changed = True
        else:
            columns[str(name)] = values
    return pd.DataFrame(columns, index=frame.index) if changed else frame


class JSONTableDataset(JSONDataset):
    """`pandas.JSONDataset` whose nested objects are columns of their own.

    Example catalog entry (what `kedro draft-use-case` writes for JSON records):

        accounts.raw_table:
          type: risk_segments.datasets.JSONTableDataset
          filepath: data/01_raw/accounts.jsonl
          load_args: {lines: true, dtype: {id: str}}
    """

    def load(self) -> pd.DataFrame:
        if self._protocol == "file":  # records, or an API's envelope around them
            return json_records(Path(str(self._get_load_path())), self._load_args)
        return flat_records(super().load())
