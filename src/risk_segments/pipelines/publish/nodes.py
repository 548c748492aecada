"""Node of the publish pipeline: tie the run's model, segmentation and reference together."""

from __future__ import annotations

import logging
from typing import Any

import pandas as pd

from risk_segments.modeling.artifacts import ArtifactSet, data_fingerprint, params_hash
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
    manifest = {
        "namespace": schema.get("namespace"),
        "as_of": schema.get("as_of"),
        "params_hash": params_hash(schema, derived, supervised, segmentation),
        "training_data": data_fingerprint(model_input),
        "features": risk_model.spec["features"],
        "segments": segmentation_model.n_segments,
    }
    logger.info(
        "Publishing the artifact set: %d features, %d segments, training data %s",
        len(manifest["features"]),
        manifest["segments"],
        manifest["training_data"],
    )
    return ArtifactSet(risk_model, segmentation_model, scoring_reference, manifest)
