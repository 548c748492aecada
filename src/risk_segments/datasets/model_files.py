"""Shared base of the project's model datasets: a model file and a JSON sidecar with its checksum.

Both files go through fsspec, so a model can live on object storage like the
raw tables (``s3://``, ``gs://``, ``abfs://`` with ``credentials``), and the
catalog can version them. Nothing is pickled: subclasses turn the model into
bytes of a format that cannot run code on load (CatBoost's ``.cbm``, numpy's
``.npz`` read with ``allow_pickle=False``) plus JSON.
"""

from __future__ import annotations

import hashlib
import json
from copy import deepcopy
from pathlib import PurePosixPath
from typing import Any, Generic, TypeVar

import fsspec
import numpy as np
from kedro.io.core import (
    AbstractVersionedDataset,
    DatasetError,
    Version,
    get_filepath_str,
    get_protocol_and_path,
)

T = TypeVar("T")


def sha256_of(payload: bytes) -> str:
    """Hex sha256 of some bytes."""
    return hashlib.sha256(payload).hexdigest()


def sidecar_path(path: str) -> str:
    """The JSON sidecar beside a model file: `risk_model.cbm` -> `risk_model.json`."""
    return str(PurePosixPath(path).with_suffix(".json"))


def json_default(value: Any) -> Any:
    """numpy scalars and arrays as plain JSON values."""
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"cannot write {type(value).__name__} to JSON")


class ChecksummedModelDataset(AbstractVersionedDataset[T, T], Generic[T]):
    """A model file plus a `.json` sidecar that records the model file's sha256.

    Subclasses turn the model into (bytes, JSON-able metadata) in `_to_bytes` and
    back in `_from_bytes`; loading refuses a file whose bytes no longer match
    the sidecar, and a missing file or sidecar.
    """

    def __init__(
        self,
        *,
        filepath: str,
        version: Version | None = None,
        credentials: dict[str, Any] | None = None,
        fs_args: dict[str, Any] | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        """Create a dataset for a model at `filepath` (any fsspec path).

        Args:
            filepath: where the model file goes, e.g. ``data/06_models/x/model.cbm``
                or ``s3://bucket/models/model.cbm``; the sidecar sits beside it.
            version: Kedro versioning (``versioned: true`` in the catalog).
            credentials: passed to the fsspec filesystem (e.g. ``key``, ``secret``).
            fs_args: extra arguments for the fsspec filesystem.
            metadata: free-form metadata (for Kedro-Viz), ignored by the dataset.
        """
        protocol, path = get_protocol_and_path(str(filepath), version)
        fs_args = deepcopy(fs_args) or {}
        if protocol == "file":
            fs_args.setdefault("auto_mkdir", True)
        self._protocol = protocol
        self._fs = fsspec.filesystem(protocol, **deepcopy(credentials or {}), **fs_args)
        self.metadata = metadata
        super().__init__(
            filepath=PurePosixPath(path),
            version=version,
            exists_function=self._fs.exists,
            glob_function=self._fs.glob,
        )

    def _to_bytes(self, data: T) -> tuple[bytes, dict[str, Any]]:  # pragma: no cover
        raise NotImplementedError

    def _from_bytes(
        self, payload: bytes, sidecar: dict[str, Any]
    ) -> T:  # pragma: no cover
        raise NotImplementedError

    def load(self) -> T:
        """Check the model file against its recorded sha256, then read it."""
        path = get_filepath_str(self._get_load_path(), self._protocol)
        meta_path = sidecar_path(path)
        if not self._fs.exists(path) or not self._fs.exists(meta_path):
            raise DatasetError(
                f"model file '{path}' or its metadata '{PurePosixPath(meta_path).name}' "
                "is missing; run `kedro run` (training) first"
            )
        with self._fs.open(path, "rb") as handle:
            payload = handle.read()
        with self._fs.open(meta_path, "rb") as handle:
            sidecar = json.loads(handle.read())
        actual = sha256_of(payload)
        if actual != sidecar.get("sha256"):
            raise DatasetError(
                f"model file '{path}' does not match its recorded checksum "
                f"(expected {sidecar.get('sha256')}, found {actual}); refusing to load it"
            )
        sidecar["version"] = (
            PurePosixPath(path).parent.name
            if self._version is not None
            else "unversioned"
        )
        return self._from_bytes(payload, sidecar)

    def save(self, data: T) -> None:
        """Write the model file, then the sidecar with its sha256 (last)."""
        path = get_filepath_str(self._get_save_path(), self._protocol)
        payload, sidecar = self._to_bytes(data)
        sidecar["sha256"] = sha256_of(payload)
        with self._fs.open(path, "wb") as handle:
            handle.write(payload)
        with self._fs.open(sidecar_path(path), "wb") as handle:
            handle.write(
                json.dumps(sidecar, indent=2, default=json_default).encode("utf-8")
            )
        self._invalidate_cache()

    def _exists(self) -> bool:
        try:
            path = get_filepath_str(self._get_load_path(), self._protocol)
        except DatasetError:
            return False
        return self._fs.exists(path)

    def _invalidate_cache(self) -> None:
        self._fs.invalidate_cache(get_filepath_str(self._filepath, self._protocol))

    def _describe(self) -> dict[str, Any]:
        return {
            "filepath": self._filepath,
            "protocol": self._protocol,
            "version": self._version,
        }
