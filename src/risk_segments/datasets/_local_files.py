"""Shared base for the project's model datasets: versioned local files with a checksum."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path, PurePosixPath
from typing import Any, Generic, TypeVar

from kedro.io.core import (
    AbstractVersionedDataset,
    DatasetError,
    Version,
    get_filepath_str,
    get_protocol_and_path,
)

T = TypeVar("T")


def sha256_of(path: Path) -> str:
    """Hex sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class ChecksummedModelDataset(AbstractVersionedDataset[T, T], Generic[T]):
    """A main file plus a `.json` sidecar that records the main file's sha256.

    Subclasses write the main file in `_write` and read it back in `_read`;
    loading refuses a main file whose bytes no longer match the sidecar.
    """

    def __init__(
        self,
        filepath: str,
        version: Version | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        protocol, path = get_protocol_and_path(filepath, version)
        if protocol != "file":
            raise DatasetError(f"{type(self).__name__} stores local files only")
        self._protocol = protocol
        self.metadata = metadata
        super().__init__(
            filepath=PurePosixPath(path),
            version=version,
            exists_function=lambda p: Path(p).exists(),
        )

    def _write(
        self, path: Path, data: T
    ) -> dict[str, Any]:  # pragma: no cover - abstract
        raise NotImplementedError

    def _read(
        self, path: Path, sidecar: dict[str, Any]
    ) -> T:  # pragma: no cover - abstract
        raise NotImplementedError

    def load(self) -> T:
        """Check the main file against its recorded sha256, then read it."""
        path = Path(get_filepath_str(self._get_load_path(), self._protocol))
        sidecar_path = path.with_suffix(".json")
        if not path.exists() or not sidecar_path.exists():
            raise DatasetError(
                f"model file '{path}' or its metadata '{sidecar_path.name}' is missing; "
                "run `kedro run` (training) first"
            )
        sidecar = json.loads(sidecar_path.read_text())
        actual = sha256_of(path)
        if actual != sidecar.get("sha256"):
            raise DatasetError(
                f"model file '{path}' does not match its recorded checksum "
                f"(expected {sidecar.get('sha256')}, found {actual}); refusing to load it"
            )
        sidecar["version"] = (
            path.parent.name if self._version is not None else "unversioned"
        )
        return self._read(path, sidecar)

    def save(self, data: T) -> None:
        """Write the main file, then the sidecar with its sha256."""
        path = Path(get_filepath_str(self._get_save_path(), self._protocol))
        path.parent.mkdir(parents=True, exist_ok=True)
        sidecar = self._write(path, data)
        sidecar["sha256"] = sha256_of(path)
        path.with_suffix(".json").write_text(
            json.dumps(sidecar, indent=2, default=_json_default)
        )

    def _describe(self) -> dict[str, Any]:
        return {"filepath": self._filepath, "version": self._version}


def _json_default(value: Any) -> Any:
    import numpy as np

    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"cannot write {type(value).__name__} to JSON")
