"""One training run, one set of artifacts: model, segmentation and scoring reference,
tied together by a manifest (a use case without a label has no model: segmentation
and reference only).

The manifest names the run, the sha256 of every member file, a hash of the
parameters that shaped them and a fingerprint of the training data; it is
written last, so a run that failed half way leaves no manifest and scoring never
picks up its files. With a signing key the manifest carries an HMAC-SHA256
signature: then an edited member (even with its checksum edited to match) or
an unsigned set is refused.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from .risk_model import RiskModel
from .segmentation import SegmentationModel

UNPUBLISHED = "unpublished"


@dataclass
class ArtifactSet:
    """What one training run hands to scoring (no risk model for a segments use case)."""

    risk_model: RiskModel | None
    segmentation_model: SegmentationModel
    scoring_reference: dict[str, Any]
    manifest: dict[str, Any] = field(default_factory=dict)

    @property
    def run_id(self) -> str:
        return str(self.manifest.get("run_id", UNPUBLISHED))


def params_hash(*blocks: Any) -> str:
    """sha256 of the parameters that shaped a run (canonical JSON)."""
    text = json.dumps(blocks, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def data_fingerprint(frame: pd.DataFrame) -> str:
    """A fingerprint of a table's rows and values (order-sensitive), with its size."""
    hashed = pd.util.hash_pandas_object(frame, index=False).to_numpy()
    digest = hashlib.sha256(hashed.tobytes()).hexdigest()[:32]
    return f"{len(frame)}x{frame.shape[1]}:{digest}"


def keys_fingerprint(ids: Any, dates: np.ndarray) -> str:
    """A fingerprint of a table's (id, date) keys, in order, with their count: sha256
    of the ids' text (their lengths, then their bytes, read from Arrow's buffers: no
    hash per row) and of the dates' nanoseconds. The same keys give the same
    fingerprint however the ids' Arrow array is chunked."""
    column = pa.array(ids, type=pa.large_string(), from_pandas=True)
    chunks = column.chunks if isinstance(column, pa.ChunkedArray) else [column]
    lengths, text = hashlib.sha256(), hashlib.sha256()
    for chunk in chunks:
        offsets = np.frombuffer(chunk.buffers()[1], dtype=np.int64)
        offsets = offsets[chunk.offset : chunk.offset + len(chunk) + 1]
        lengths.update(np.diff(offsets).tobytes())
        if len(chunk) and chunk.buffers()[2] is not None:
            text.update(memoryview(chunk.buffers()[2])[offsets[0] : offsets[-1]])
    stamps = np.ascontiguousarray(np.asarray(dates, dtype="datetime64[ns]")).view(
        np.int64
    )
    missing = str(column.null_count).encode()  # ids are checked present; counted anyway
    digest = hashlib.sha256(
        lengths.digest() + text.digest() + missing + stamps.tobytes()
    ).hexdigest()
    return f"{len(stamps)}x2:{digest[:32]}"


def source_fingerprint(source: Any) -> str:
    """`data_fingerprint` of a raw source as the catalog loads it: one table, or a
    folder's files (a mapping of tables or of their loaders) or several named tables,
    part by part. A customer view built from a log is current while this is equal."""
    if not isinstance(source, dict):
        return data_fingerprint(pd.DataFrame(source))
    parts = {
        str(key): source_fingerprint(part() if callable(part) else part)
        for key, part in source.items()
    }
    rows = sum(int(part.split("x")[0]) for part in parts.values())
    text = json.dumps(parts, sort_keys=True)
    return f"{rows}x{len(parts)} parts:{hashlib.sha256(text.encode()).hexdigest()[:32]}"


def canonical(manifest: dict[str, Any]) -> bytes:
    """The manifest's bytes as signed: every key but the signature, sorted."""
    body = {k: v for k, v in manifest.items() if k != "signature"}
    return json.dumps(body, sort_keys=True).encode("utf-8")


def sign(manifest: dict[str, Any], key: str) -> str:
    """HMAC-SHA256 of the manifest with the signing key."""
    return hmac.new(
        key.encode("utf-8"), canonical(manifest), hashlib.sha256
    ).hexdigest()


def verify(manifest: dict[str, Any], key: str | None, where: str) -> None:
    """With a key, the manifest must carry a valid signature; without one, nothing to check."""
    if not key:
        return
    signature = manifest.get("signature")
    if not signature:
        raise ArtifactError(
            f"{where}: the artifact set is not signed, but a signing key is configured; "
            "retrain with the key, or remove the key to accept unsigned sets"
        )
    if not hmac.compare_digest(signature, sign(manifest, key)):
        raise ArtifactError(
            f"{where}: the artifact set's signature does not match: its manifest or a "
            "member was changed after training; refusing to score with it"
        )


class ArtifactError(ValueError):
    """An artifact set is incomplete, mixed, edited or unsigned; the message says which."""
