"""Kedro-Viz's preview of a folder of figures shows every figure, not the first."""

import base64
import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.image as mpimg  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402

from risk_segments.datasets import FigureDataset  # noqa: E402


def _figure(color: str) -> plt.Figure:
    figure, ax = plt.subplots(figsize=(4, 3))
    ax.add_patch(plt.Rectangle((0, 0), 1, 1, color=color))
    return figure


def test_the_preview_of_a_folder_holds_all_its_figures(tmp_path):
    dataset = FigureDataset(filepath=str(tmp_path / "figures"))
    dataset.save({"a": _figure("red"), "b": _figure("green"), "c": _figure("blue")})
    sheet = mpimg.imread(io.BytesIO(base64.b64decode(dataset.preview())), format="png")
    single = mpimg.imread(io.BytesIO(dataset.load()["a"]), format="png")
    assert sheet.shape[0] > 1.5 * single.shape[0] * 80 / 110  # two rows of figures
    rgb = sheet[..., :3].reshape(-1, 3)
    for color in ((1, 0, 0), (0, 0.5, 0), (0, 0, 1)):  # every figure is on the sheet
        assert (abs(rgb - color).max(axis=1) < 0.1).any(), color


def test_characters_no_font_draws_are_said_once(tmp_path, caplog):
    """A label in a script the installed fonts lack drew one matplotlib warning per
    glyph and figure (21 in a run on a table with one Japanese column name)."""
    import logging
    import warnings

    figures = {}
    for name in ("a", "b"):
        figure, ax = plt.subplots(figsize=(2, 2))
        ax.set_title("\u0378\u0379 x")  # code points no font has
        figures[name] = figure
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no matplotlib warning gets through
        with caplog.at_level(logging.WARNING):
            FigureDataset(filepath=str(tmp_path / "figures")).save(figures)
    said = [
        r.getMessage() for r in caplog.records if "no installed font" in r.getMessage()
    ]
    assert len(said) == 1 and "2 character(s)" in said[0]
