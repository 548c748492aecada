"""reporting pipeline, instantiated once per namespace."""

from kedro.pipeline import Pipeline, node

from risk_segments.namespaces import (
    labeled_namespaces,
    order_log_namespaces,
    per_namespace,
    segments_namespaces,
)

from .figures import draw_report_figures
from .html_report import build_html_report
from .nodes import compare_approaches, measure_label_efficiency, relate_segments_to_risk
from .segments_report import (
    build_segments_report,
    draw_segment_figures,
    segments_summary,
)


def create_template() -> Pipeline:
    """The un-namespaced nodes: model and segment outputs -> comparison, figures, report."""
    return Pipeline(
        [
            node(
                measure_label_efficiency,
                [
                    "model_input",
                    "data_split",
                    "segment_assignments",
                    "test_predictions",
                    "params:schema",
                    "params:derived",
                    "params:supervised",
                    "params:reporting",
                ],
                "label_efficiency",
                name="measure_label_efficiency",
            ),
            node(
                relate_segments_to_risk,
                [
                    "test_predictions",
                    "segment_assignments",
                    "model_input",
                    "data_split",
                    "risk_model",
                    "params:schema",
                ],
                ["segment_risk", "segment_risk_summary"],
                name="relate_segments_to_risk",
            ),
            node(
                compare_approaches,
                [
                    "metrics",
                    "segment_stability",
                    "segment_profiles",
                    "label_efficiency",
                    "segment_risk_summary",
                    "test_predictions",
                    "params:schema",
                    "params:segmentation",
                    "params:report",
                    "params:score",
                ],
                "comparison",
                name="compare_approaches",
            ),
            node(
                draw_report_figures,
                [
                    "test_predictions",
                    "segment_assignments",
                    "metrics",
                    "comparison",
                    "segment_risk",
                    "segment_profiles",
                    "segment_stability",
                    "feature_importance",
                    "params:schema",
                ],
                [
                    "report_figures",
                    "precision_recall_chart",
                    "label_efficiency_chart",
                    "segment_risk_chart",
                ],
                name="draw_report_figures",
            ),
            node(
                build_html_report,
                [
                    "comparison",
                    "metrics",
                    "segment_profiles",
                    "segment_risk",
                    "feature_importance",
                    "top_risk_examples",
                    "report_figures",
                    "shap_summary_plot",
                    "segment_heatmap",
                    "report_extras",
                    "params:schema",
                ],
                "report_html",
                name="build_html_report",
            ),
        ]
    )


def _report_extras(namespace: str) -> dict[str, str]:
    """Order logs add the propensity section (spend, RFM); the others have none."""
    if namespace in order_log_namespaces():
        return {"report_extras": f"{namespace}.propensity_metrics"}
    return {"report_extras": "params:reporting.no_extras"}


def create_segments_template() -> Pipeline:
    """A use case without a label: segment outputs -> summary, figures, report."""
    return Pipeline(
        [
            node(
                segments_summary,
                [
                    "segment_profiles",
                    "segment_stability",
                    "segmentation_model",
                    "params:report",
                ],
                "segments_summary",
                name="summarise_segments",
            ),
            node(
                draw_segment_figures,
                ["segment_profiles", "segment_stability", "params:report"],
                "report_figures",
                name="draw_report_figures",
            ),
            node(
                build_segments_report,
                [
                    "segments_summary",
                    "segment_profiles",
                    "report_figures",
                    "segment_heatmap",
                    "params:report",
                ],
                "report_html",
                name="build_html_report",
            ),
        ]
    )


def create_pipeline(**kwargs) -> Pipeline:
    """One copy of the template per namespace (of its kind); `params:reporting` is
    shared by all."""
    return per_namespace(
        create_template,
        labeled_namespaces(),
        "reporting",
        inputs=_report_extras,
        parameters={"params:reporting": "params:reporting"},
    ) + per_namespace(create_segments_template, segments_namespaces(), "reporting")
