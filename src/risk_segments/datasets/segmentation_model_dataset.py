"""A versioned Kedro dataset for `SegmentationModel`: arrays in .npz, the rest in JSON.

No pickle: arrays are read with ``allow_pickle=False``; the JSON sidecar records
the .npz file's sha256 and loading refuses a file that does not match.
"""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path
from typing import Any

import numpy as np

from risk_segments.modeling.segmentation import SegmentationModel

from ._local_files import ChecksummedModelDataset


class SegmentationModelDataset(ChecksummedModelDataset[SegmentationModel]):
    """Saves and loads a `SegmentationModel` as ``<file>.npz`` and ``<file>.json``."""

    def _write(self, path: Path, data: SegmentationModel) -> dict[str, Any]:
        arrays, plain = {}, {}
        for f in fields(data):
            value = getattr(data, f.name)
            if isinstance(value, np.ndarray):
                arrays[f.name] = value
            elif f.name == "info":
                plain[f.name] = {
                    k: v for k, v in value.items() if not k.startswith("_")
                }
            elif f.name == "segment_names":
                plain[f.name] = {str(k): v for k, v in value.items()}
            else:
                plain[f.name] = value
        with open(
            path, "wb"
        ) as handle:  # keep the exact file name (np.savez would add .npz)
            np.savez(handle, **arrays)
        return plain

    def _read(self, path: Path, sidecar: dict[str, Any]) -> SegmentationModel:
        with np.load(path, allow_pickle=False) as arrays:
            loaded = {name: arrays[name] for name in arrays.files}
        plain = {
            f.name: sidecar[f.name]
            for f in fields(SegmentationModel)
            if f.name in sidecar
        }
        plain["segment_names"] = {
            int(k): v for k, v in plain.get("segment_names", {}).items()
        }
        plain["info"] = {
            **plain.get("info", {}),
            "version": sidecar["version"],
            "sha256": sidecar["sha256"],
        }
        return SegmentationModel(**loaded, **plain)
