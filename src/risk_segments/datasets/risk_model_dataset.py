"""A versioned Kedro dataset for `RiskModel`: CatBoost's own .cbm plus a JSON sidecar.

No pickle: the model is CatBoost's native format, which cannot run code on load,
and everything else (feature spec, calibration, thresholds) is JSON. The sidecar
records the .cbm file's sha256; loading refuses a file that does not match.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path, PurePosixPath
from typing import Any

from catboost import CatBoostClassifier
from kedro.io.core import (
    AbstractVersionedDataset,
    DatasetError,
    Version,
    get_filepath_str,
    get_protocol_and_path,
)

from risk_segments.modeling.risk_model import RiskModel


def sha256_of(path: Path) -> str:
    """Hex sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class RiskModelDataset(AbstractVersionedDataset[RiskModel, RiskModel]):
    """Saves and loads a `RiskModel` as ``<file>.cbm`` and ``<file>.json`` (local files).

    Example catalog entry::

        seller_risk.risk_model:
          type: risk_segments.datasets.RiskModelDataset
          filepath: data/06_models/seller_risk/risk_model.cbm
          versioned: true
    """

    def __init__(
        self,
        filepath: str,
        version: Version | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        protocol, path = get_protocol_and_path(filepath, version)
        if protocol != "file":
            raise DatasetError("RiskModelDataset stores local files only")
        self._protocol = protocol
        self.metadata = metadata
        super().__init__(
            filepath=PurePosixPath(path),
            version=version,
            exists_function=self._file_exists,
        )

    @staticmethod
    def _file_exists(path: str) -> bool:
        return Path(path).exists()

    @staticmethod
    def _sidecar(path: Path) -> Path:
        return path.with_suffix(".json")

    def load(self) -> RiskModel:
        """Load the model after checking it against its recorded sha256."""
        path = Path(get_filepath_str(self._get_load_path(), self._protocol))
        sidecar = self._sidecar(path)
        if not path.exists() or not sidecar.exists():
            raise DatasetError(
                f"model file '{path}' or its metadata '{sidecar.name}' is missing; "
                "run `kedro run` (training) first"
            )
        metadata = json.loads(sidecar.read_text())
        actual = sha256_of(path)
        if actual != metadata.get("sha256"):
            raise DatasetError(
                f"model file '{path}' does not match its recorded checksum "
                f"(expected {metadata.get('sha256')}, found {actual}); refusing to load it"
            )
        model = CatBoostClassifier()
        model.load_model(str(path), format="cbm")
        return RiskModel(
            model=model,
            spec=metadata["spec"],
            calibration=metadata["calibration"],
            thresholds=metadata["thresholds"],
            info={
                **metadata["info"],
                "version": self._version_label(path),
                "sha256": actual,
            },
        )

    def save(self, data: RiskModel) -> None:
        """Write the .cbm, then the JSON sidecar with the file's sha256."""
        path = Path(get_filepath_str(self._get_save_path(), self._protocol))
        path.parent.mkdir(parents=True, exist_ok=True)
        data.model.save_model(str(path), format="cbm")
        metadata = {**data.metadata(), "sha256": sha256_of(path)}
        self._sidecar(path).write_text(json.dumps(metadata, indent=2, default=float))

    def _version_label(self, path: Path) -> str:
        return path.parent.name if self._version is not None else "unversioned"

    def _describe(self) -> dict[str, Any]:
        return {"filepath": self._filepath, "version": self._version}
