"""kedro-datasets' `MatplotlibDataset`, plus loading the PNGs back (for the HTML report).

Saving is `MatplotlibDataset`'s own (one figure, or a dict of figures as a
folder of PNGs, on any fsspec path); this subclass names dict entries
``<key>.png``, replaces the folder's old PNGs, and adds `load`, which returns
the PNG bytes (or a dict of name -> bytes for a folder), so a downstream node
can embed them. `preview` gives Kedro-Viz the image (a folder's figures on one sheet).
"""

from __future__ import annotations

import base64
import io
import logging
import os
import re
import warnings
from pathlib import PurePosixPath
from typing import Any

from kedro.io.core import DatasetError, Version, get_filepath_str
from kedro_datasets._typing import ImagePreview
from kedro_datasets.matplotlib import MatplotlibDataset
from matplotlib.figure import Figure

logger = logging.getLogger(__name__)

# matplotlib's "Glyph 26085 (\\N{CJK UNIFIED IDEOGRAPH-65E5}) missing from font(s) ..."
_MISSING_GLYPH = re.compile(r"Glyph (\d+) \(.+?\) missing from")


class FigureDataset(MatplotlibDataset):
    """PNG figures that can be read back as bytes.

    Examples:
        Using the YAML API::

            seller_risk.report_figures:
              type: risk_segments.datasets.FigureDataset
              filepath: data/08_reporting/seller_risk/figures   # a dict of figures: a folder

            repeat_purchase.model_plots:
              type: risk_segments.datasets.FigureDataset
              filepath: data/08_reporting/repeat_purchase/model_plots.png
              save_args: {dpi: 150}

        Using the Python API::

            >>> import matplotlib.pyplot as plt
            >>> from risk_segments.datasets import FigureDataset
            >>> dataset = FigureDataset(filepath=str(tmp_path / "plot.png"))  # doctest: +SKIP
            >>> dataset.save(plt.figure())  # doctest: +SKIP
            >>> dataset.load()[:4]  # doctest: +SKIP
            b'\\x89PNG'
    """

    DEFAULT_SAVE_ARGS: dict[str, Any] = {
        "format": "png",
        "dpi": 110,
        "bbox_inches": "tight",
    }

    def __init__(
        self,
        *,
        filepath: str | os.PathLike,
        fs_args: dict[str, Any] | None = None,
        credentials: dict[str, Any] | None = None,
        save_args: dict[str, Any] | None = None,
        version: Version | None = None,
        overwrite: bool = True,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        """Like `MatplotlibDataset`, but a folder's old PNGs are replaced by default."""
        super().__init__(
            filepath=filepath,
            fs_args=fs_args,
            credentials=credentials,
            save_args=save_args,
            version=version,
            overwrite=overwrite and version is None,
            metadata=metadata,
        )

    def save(self, data: Figure | dict[str, Figure]) -> None:
        """One PNG, or a folder with one `<key>.png` per figure of a dict. Characters
        no installed font draws (a column named in Japanese, with only DejaVu Sans
        installed) are said once, not in one matplotlib warning per glyph and figure."""
        if isinstance(data, dict):
            data = {
                name if name.endswith(".png") else f"{name}.png": figure
                for name, figure in data.items()
            }
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            super().save(data)
        missing = []
        for warning in caught:
            glyph = _MISSING_GLYPH.search(str(warning.message))
            if glyph is None:
                warnings.warn_explicit(
                    warning.message, warning.category, warning.filename, warning.lineno
                )
            elif chr(int(glyph.group(1))) not in missing:
                missing.append(chr(int(glyph.group(1))))
        if missing:
            logger.warning(
                "%s: %d character(s) of the labels no installed font draws (%s) show "
                "as boxes; install a font that has them (Noto Sans CJK, for example): "
                "the figures use it",
                self._filepath,
                len(missing),
                ", ".join(missing[:10]),
            )

    def load(self) -> bytes | dict[str, bytes]:
        """PNG bytes, or a dict of name -> PNG bytes for a folder."""
        path = get_filepath_str(self._get_load_path(), self._protocol)
        if self._fs.isdir(path):
            return {
                PurePosixPath(png).stem: self._fs.cat_file(png)
                for png in sorted(self._fs.glob(f"{path}/*.png"))
            }
        if not self._fs.exists(path):
            raise DatasetError(
                f"'{path}' does not exist; run the pipeline that draws it"
            )
        return self._fs.cat_file(path)

    def preview(self) -> ImagePreview:
        """The image, base64-encoded, for Kedro-Viz; a folder's figures all on one
        sheet (two columns, each titled with its name)."""
        data = self.load()
        png = contact_sheet(data) if isinstance(data, dict) else data
        return ImagePreview(base64.b64encode(png).decode("utf-8"))


def contact_sheet(images: dict[str, bytes], columns: int = 2) -> bytes:
    """Several PNGs as one PNG: a grid, each image under its name."""
    import matplotlib  # noqa: PLC0415

    matplotlib.use("Agg")
    import matplotlib.image as mpimg  # noqa: PLC0415
    import matplotlib.pyplot as plt  # noqa: PLC0415

    if not images:
        raise DatasetError("the figure folder holds no PNG to preview")
    if len(images) == 1:
        return next(iter(images.values()))
    rows = -(-len(images) // columns)
    figure, axes = plt.subplots(rows, columns, figsize=(6 * columns, 4.5 * rows))
    for ax in axes.ravel():
        ax.axis("off")
    for ax, (name, png) in zip(axes.ravel(), images.items(), strict=False):
        ax.imshow(mpimg.imread(io.BytesIO(png), format="png"))
        ax.set_title(name.replace("_", " "), fontsize=11)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=80)
    plt.close(figure)
    return buffer.getvalue()
