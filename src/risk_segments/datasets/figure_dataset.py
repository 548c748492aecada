"""PNG figures that downstream nodes can read back (for the self-contained HTML report).

`save` takes a matplotlib Figure (one PNG at `filepath`) or a dict of them (a
folder of PNGs named by key); `load` returns the PNG bytes (or a dict of them),
and `preview` gives Kedro-Viz the image.
"""

from __future__ import annotations

import base64
import io
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
from kedro.io import AbstractDataset, DatasetError
from kedro_datasets._typing import ImagePreview
from matplotlib.figure import Figure


class FigureDataset(
    AbstractDataset[Figure | dict[str, Figure], bytes | dict[str, bytes]]
):
    """A figure as a PNG file, or a dict of figures as a folder of PNG files."""

    def __init__(
        self, filepath: str, dpi: int = 110, metadata: dict[str, Any] | None = None
    ):
        self._path = Path(filepath)
        self._dpi = dpi
        self.metadata = metadata

    def _png(self, figure: Figure) -> bytes:
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=self._dpi, bbox_inches="tight")
        plt.close(figure)
        return buffer.getvalue()

    def save(self, data: Figure | dict[str, Figure]) -> None:
        """Write one PNG, or one PNG per key into the folder."""
        if isinstance(data, dict):
            self._path.mkdir(parents=True, exist_ok=True)
            for stale in self._path.glob("*.png"):
                stale.unlink()
            for name, figure in data.items():
                (self._path / f"{name}.png").write_bytes(self._png(figure))
        else:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            self._path.write_bytes(self._png(data))

    def load(self) -> bytes | dict[str, bytes]:
        """PNG bytes, or a dict of name -> PNG bytes for a folder."""
        if self._path.is_dir():
            return {p.stem: p.read_bytes() for p in sorted(self._path.glob("*.png"))}
        if not self._path.exists():
            raise DatasetError(
                f"'{self._path}' does not exist; run the pipeline that draws it"
            )
        return self._path.read_bytes()

    def preview(self) -> ImagePreview:
        """The (first) image, base64-encoded, for Kedro-Viz."""
        data = self.load()
        png = next(iter(data.values())) if isinstance(data, dict) else data
        return ImagePreview(base64.b64encode(png).decode("utf-8"))

    def _exists(self) -> bool:
        return self._path.exists()

    def _describe(self) -> dict[str, Any]:
        return {"filepath": str(self._path), "dpi": self._dpi}
