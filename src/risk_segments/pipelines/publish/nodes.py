"""Node of the publish pipeline: tie the run's model, segmentation and reference together."""

from __future__ import annotations

import logging
from typing import Any

import pandas as pd

from risk_segments.modeling.artifacts import ArtifactSet, data_fingerprint, params_hash
from risk_segments.modeling.features import model_features
from risk_segments.modeling.monitoring import feature_spec, segments_reference
from risk_segments.modeling.risk_model import RiskModel
from risk_segments.modeling.segmentation import SegmentationModel

logger = logging.getLogger(__name__)


def publish_artifacts(
    risk_model: RiskModel,
    segmentation_model: SegmentationModel,
    scoring_reference: dict[str, Any],
    model_input: pd.DataFrame,
    schema: dict[str, Any],
    derived: dict[str, Any] | None,
    supervised: dict[str, Any],
    segmentation: dict[str, Any],
) -> ArtifactSet:
    """The set scoring will use, with what made it: parameters hash, data fingerprint."""
    manifest = _manifest(
        risk_model.spec["features"],
        segmentation_model,
        model_input,
        schema,
        params_hash(schema, derived, supervised, segmentation),
    )
    return ArtifactSet(risk_model, segmentation_model, scoring_reference, manifest)


def build_segments_reference(
    model_input: pd.DataFrame,
    segmentation_model: SegmentationModel,
    schema: dict[str, Any],
    derived: dict[str, Any] | None,
    score: dict[str, Any],
) -> dict[str, Any]:
    """A use case without a label: the distributions of every feature and the
    segments' shares on the rows a score run would assign (for drift monitoring)."""
    spec = feature_spec(schema, model_features(schema, derived))
    return segments_reference(model_input, segmentation_model, spec, schema, score)


def publish_segments(
    segmentation_model: SegmentationModel,
    scoring_reference: dict[str, Any],
    model_input: pd.DataFrame,
    schema: dict[str, Any],
    derived: dict[str, Any] | None,
    segmentation: dict[str, Any],
) -> ArtifactSet:
    """A use case without a label: the segmentation and reference, with what made them."""
    manifest = _manifest(
        model_features(schema, derived),
        segmentation_model,
        model_input,
        schema,
        params_hash(schema, derived, segmentation),
    )
    manifest["kind"] = "segments"
    return ArtifactSet(None, segmentation_model, scoring_reference, manifest)


def _manifest(
    features: list[str],
    segmentation_model: SegmentationModel,
    model_input: pd.DataFrame,
    schema: dict[str, Any],
    hashed: str,
) -> dict[str, Any]:
    manifest = {
        "namespace": schema.get("namespace"),
        "as_of": schema.get("as_of"),
        "params_hash": hashed,
        "training_data": data_fingerprint(model_input),
        # the newest snapshot trained on: a nightly input older than it is stopped
        "newest_snapshot": (
            str(pd.Timestamp(model_input[schema["date_column"]].max()).date())
            if schema.get("date_in_table", True) and len(model_input)
            else None
        ),
        "features": features,
        "segments": segmentation_model.n_segments,
    }
    logger.info(
        "Publishing the artifact set: %d features, %d segments, training data %s",
        len(manifest["features"]),
        manifest["segments"],
        manifest["training_data"],
    )
    return manifest
