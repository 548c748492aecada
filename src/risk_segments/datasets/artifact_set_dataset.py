"""A Kedro dataset for one training run's artifacts, written together and read together.

Each training run gets a folder `<filepath>/<run id>/` with the risk model
(`.cbm` + JSON; none for a use case without a label), the segmentation (`.npz` + JSON), the scoring reference (JSON)
and, written last, `manifest.json`: the run id, the sha256 of every member, a
parameters hash, a training-data fingerprint and (with a signing key) an
HMAC-SHA256 signature. A folder without a manifest is an unfinished run.

`load()` returns an `ArtifactStore`: the complete runs, newest first, and
`load(run_id)`, which checks every member against the manifest (and the
signature, when a key is configured) before returning the `ArtifactSet`.
Scoring thus uses exactly one run's set, never a mix.
"""

from __future__ import annotations

import json
from copy import deepcopy
from pathlib import PurePosixPath
from typing import Any

import fsspec
from kedro.io import AbstractDataset, DatasetError

from risk_segments.modeling.artifacts import (
    ArtifactError,
    ArtifactSet,
    sign,
    verify,
)

from .catboost_model_dataset import CatBoostModelDataset
from .model_files import json_default, sha256_of
from .segmentation_model_dataset import SegmentationModelDataset

MEMBERS = {
    "risk_model": "risk_model.cbm",
    "segmentation_model": "segmentation.npz",
}
REFERENCE = "scoring_reference.json"
MANIFEST = "manifest.json"


class ArtifactStore:
    """The complete runs in an artifact folder, and a checked loader for one of them."""

    def __init__(self, dataset: ArtifactSetDataset) -> None:
        self._dataset = dataset

    def runs(self) -> list[str]:
        """Run ids with a manifest, newest first."""
        return self._dataset.complete_runs()

    def load(self, run_id: str | None = None) -> ArtifactSet:
        """The named run's set (default: the newest complete run)."""
        runs = self.runs()
        chosen = run_id or (runs[0] if runs else None)
        if chosen is None:
            raise ArtifactError(
                f"{self._dataset.where}: no complete artifact set (no run with a manifest); "
                "run `kedro run` to train"
            )
        if chosen not in runs:
            raise ArtifactError(
                f"{self._dataset.where}: run '{chosen}' has no complete artifact set "
                f"(complete runs: {runs[:5]})"
            )
        return self._dataset.read_run(chosen)


class ArtifactSetDataset(AbstractDataset[ArtifactSet, ArtifactStore]):
    """Saves an `ArtifactSet` as one run folder; loads an `ArtifactStore`.

    Examples:
        Using the YAML API::

            "{namespace}.artifact_set":
              type: risk_segments.datasets.ArtifactSetDataset
              filepath: data/06_models/{namespace}/artifacts
              credentials: model_signing     # {key: ...} in conf/local/credentials.yml: sign

        Using the Python API::

            >>> from risk_segments.datasets import ArtifactSetDataset
            >>> dataset = ArtifactSetDataset(filepath="data/06_models/x/artifacts")
            >>> dataset.save(artifact_set)  # doctest: +SKIP
            >>> latest = dataset.load().load()  # doctest: +SKIP
    """

    def __init__(
        self,
        *,
        filepath: str,
        run_id: str | None = None,
        credentials: dict[str, Any] | None = None,
        fs_args: dict[str, Any] | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        """A folder of run folders at `filepath` (any fsspec path).

        Args:
            filepath: the folder that holds one sub-folder per training run.
            run_id: the id to save the next run as (default: from the clock, UTC).
            credentials: `key`: the HMAC signing key (sets are signed at saving and
                checked at loading); other entries go to the fsspec filesystem.
            fs_args: extra arguments for the fsspec filesystem.
            metadata: free-form metadata (for Kedro-Viz), ignored by the dataset.
        """
        credentials = deepcopy(credentials or {})
        self._key = credentials.pop("key", None) or None
        protocol, path = fsspec.core.split_protocol(str(filepath))
        self._protocol = protocol or "file"
        fs_args = deepcopy(fs_args) or {}
        if self._protocol == "file":
            fs_args.setdefault("auto_mkdir", True)
        self._fs = fsspec.filesystem(self._protocol, **credentials, **fs_args)
        self._root = PurePosixPath(path)
        self._run_id = run_id
        self.metadata = metadata

    @property
    def where(self) -> str:
        return str(self._root)

    def _path(self, *parts: str) -> str:
        path = str(self._root.joinpath(*parts))
        return path if self._protocol == "file" else f"{self._protocol}://{path}"

    def complete_runs(self) -> list[str]:
        """Run folders that hold a manifest, newest first."""
        if not self._fs.exists(self._path()):
            return []
        manifests = self._fs.glob(self._path("*", MANIFEST))
        return sorted((PurePosixPath(m).parent.name for m in manifests), reverse=True)

    def save(self, data: ArtifactSet) -> None:
        """Write the members, then the manifest (last)."""
        from datetime import UTC, datetime  # noqa: PLC0415

        run_id = self._run_id or datetime.now(UTC).strftime("%Y-%m-%dT%H.%M.%S.%fZ")
        if self._fs.exists(self._path(run_id, MANIFEST)):
            raise DatasetError(f"{self.where}: run '{run_id}' exists already")
        members = {}
        for name, filename in MEMBERS.items():
            if getattr(data, name) is None:  # a segments use case: no risk model
                continue
            dataset = self._member_dataset(name, run_id)
            dataset.save(getattr(data, name))
            members[filename] = self._sha(run_id, filename)
            sidecar = str(PurePosixPath(filename).with_suffix(".json"))
            members[sidecar] = self._sha(run_id, sidecar)
        self._write(
            run_id, REFERENCE, json.dumps(data.scoring_reference, default=json_default)
        )
        members[REFERENCE] = self._sha(run_id, REFERENCE)
        manifest = {**data.manifest, "run_id": run_id, "members": members}
        if self._key:
            manifest["signature"] = sign(manifest, self._key)
        self._write(
            run_id, MANIFEST, json.dumps(manifest, indent=2, default=json_default)
        )

    def read_run(self, run_id: str) -> ArtifactSet:
        """One run's set, every member checked against the manifest first."""
        where = f"{self.where}/{run_id}"
        manifest = json.loads(self._read(run_id, MANIFEST))
        verify(manifest, self._key, where)
        for filename, expected in manifest.get("members", {}).items():
            if not self._fs.exists(self._path(run_id, filename)):
                raise ArtifactError(
                    f"{where}: member '{filename}' is missing; refusing a partial set"
                )
            if self._sha(run_id, filename) != expected:
                raise ArtifactError(
                    f"{where}: member '{filename}' is not the file training wrote "
                    "(its sha256 differs from the manifest); refusing a mixed or edited set"
                )
        risk_model = (
            self._member_dataset("risk_model", run_id).load()
            if MEMBERS["risk_model"] in manifest.get("members", {})
            else None  # a segments use case's set (the signed manifest says so)
        )
        segmentation = self._member_dataset("segmentation_model", run_id).load()
        for model in (risk_model, segmentation):
            if model is None:
                continue
            model.info["version"] = run_id
            model.info["run_id"] = run_id
        reference = json.loads(self._read(run_id, REFERENCE))
        return ArtifactSet(risk_model, segmentation, reference, manifest)

    def load(self) -> ArtifactStore:
        """A handle on the complete runs (nothing is read until a run is chosen)."""
        return ArtifactStore(self)

    def _member_dataset(self, name: str, run_id: str) -> Any:
        cls = CatBoostModelDataset if name == "risk_model" else SegmentationModelDataset
        return cls(filepath=self._path(run_id, MEMBERS[name]))

    def _sha(self, run_id: str, filename: str) -> str:
        return sha256_of(self._read(run_id, filename))

    def _read(self, run_id: str, filename: str) -> bytes:
        with self._fs.open(self._path(run_id, filename), "rb") as handle:
            return handle.read()

    def _write(self, run_id: str, filename: str, text: str) -> None:
        with self._fs.open(self._path(run_id, filename), "wb") as handle:
            handle.write(text.encode("utf-8"))

    def _exists(self) -> bool:
        return bool(self.complete_runs())

    def _describe(self) -> dict[str, Any]:
        return {
            "filepath": self.where,
            "protocol": self._protocol,
            "run_id": self._run_id,
            "signed": bool(self._key),
        }
