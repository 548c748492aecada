"""Parquet in bounded memory: load yields chunks lazily, save streams chunks to disk.

`load()` returns a `ParquetChunks` handle: it opens the file (so a truncated or
corrupt file fails at once, with its path), knows the row count and columns
from the footer, reads single columns cheaply for pre-checks, and iterates
DataFrames of `chunk_size` rows. `save()` accepts a DataFrame or any iterable
of DataFrames and writes them one row group at a time to a temporary file that
replaces the target only when every chunk was written.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from copy import deepcopy
from pathlib import PurePosixPath
from typing import Any

import fsspec
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from kedro.io import AbstractDataset, DatasetError
from kedro.io.core import get_filepath_str, get_protocol_and_path
from pandas.util import hash_pandas_object

from risk_segments.schema import index_as_columns, one_table

# a column and a test of its values, True for the rows to keep
RowFilter = tuple[str, Callable[[pd.Series], np.ndarray]]


class ParquetChunks:
    """A lazily read parquet file (or a DataFrame already in memory), chunk by chunk."""

    def __init__(
        self,
        source: str | pd.DataFrame,
        chunk_size: int,
        fs: fsspec.AbstractFileSystem | None = None,
    ) -> None:
        self.chunk_size = int(chunk_size)
        # an id the frame is indexed by is a column (as `validate_table` reads it)
        self._frame = (
            index_as_columns(source) if isinstance(source, pd.DataFrame) else None
        )
        self._path = None if self._frame is not None else str(source)
        if self._path is not None:
            try:
                self._file = pq.ParquetFile(
                    self._path if fs is None else fs.open(self._path, "rb")
                )
            except (OSError, pa.ArrowException) as err:
                raise DatasetError(
                    f"'{self._path}' is not a readable parquet file: {err}"
                ) from err

    @classmethod
    def of(cls, data: pd.DataFrame | ParquetChunks, chunk_size: int) -> ParquetChunks:
        """Wrap a DataFrame (or a folder's files, as one), or pass a handle through."""
        if isinstance(data, ParquetChunks):
            return data
        return cls(one_table(data), chunk_size)

    @property
    def n_rows(self) -> int:
        return (
            len(self._frame)
            if self._frame is not None
            else self._file.metadata.num_rows
        )

    @property
    def columns(self) -> list[str]:
        return (
            list(self._frame.columns)
            if self._frame is not None
            else self._file.schema_arrow.names
        )

    def dtypes(self) -> dict[str, str]:
        """Column -> a short type name (from the parquet schema, without reading rows)."""
        if self._frame is not None:
            return {c: str(t) for c, t in self._frame.dtypes.items()}
        return {f.name: str(f.type) for f in self._file.schema_arrow}

    def column(self, name: str) -> pd.Series:
        """One whole column (cheap: parquet is columnar)."""
        if self._frame is not None:
            return self._frame[name]
        try:
            return self._file.read(columns=[name]).column(0).to_pandas()
        except (OSError, pa.ArrowException) as err:
            raise DatasetError(
                f"'{self._path}' could not be read (column '{name}'): {err}"
            ) from err

    def __iter__(self) -> Iterator[pd.DataFrame]:
        if self._frame is not None:
            for start in range(0, len(self._frame), self.chunk_size):
                yield self._frame.iloc[start : start + self.chunk_size]
            return
        yield from read_ahead(self._batches())

    def _batches(self) -> Iterator[pd.DataFrame]:
        try:
            for batch in self._file.iter_batches(batch_size=self.chunk_size):
                yield batch.to_pandas()
        except (OSError, pa.ArrowException) as err:
            raise DatasetError(
                f"'{self._path}' could not be read to the end: {err}"
            ) from err

    def grouped(
        self, column: str, parts: int, keep: RowFilter | None = None
    ) -> Iterator[pd.DataFrame]:
        """All rows in `parts` DataFrames, every row with the same `column` value in the
        same one (a fixed-key hash of the value decides which). A file is read once and
        spilled, part by part, to a temporary folder: memory stays at about one part
        and the time grows with the rows, not with rows x parts. `keep`: (a column,
        a test of its values): only the rows that pass are grouped."""
        if self._frame is not None:
            frame = self._frame
            if keep is not None:
                frame = frame.loc[keep[1](frame[keep[0]])]
            part_of = _part_of(frame[column], parts)
            for part in np.unique(part_of):  # parts no row falls in are left out
                yield frame.loc[part_of == part].reset_index(drop=True)
            return
        with tempfile.TemporaryDirectory(prefix="risk_segments_parts_") as folder:
            # spilled as uncompressed Arrow IPC: written and read back at about the cost
            # of a copy, where parquet encodes and decodes every value
            files = [f"{folder}/{part}.arrow" for part in range(parts)]
            writers: list[pa.ipc.RecordBatchFileWriter | None] = [None] * parts
            try:
                for read in self._file.iter_batches(batch_size=self.chunk_size):
                    batch = read
                    if keep is not None:
                        name, test = keep
                        batch = read.filter(pa.array(test(read[name].to_pandas())))
                    part_of = _part_of(batch.column(column).to_pandas(), parts)
                    for part in np.unique(part_of):
                        if writers[part] is None:
                            writers[part] = pa.ipc.new_file(files[part], batch.schema)
                        writers[part].write_batch(
                            batch.filter(pa.array(part_of == part))
                        )
            except (OSError, pa.ArrowException) as err:
                raise DatasetError(
                    f"'{self._path}' could not be read to the end: {err}"
                ) from err
            finally:
                for writer in writers:
                    if writer is not None:
                        writer.close()
            yield from read_ahead(
                _read_spilled(files[part])
                for part, writer in enumerate(writers)
                if writer is not None
            )


def read_ahead(chunks: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
    """The same chunks, the next one read in a background thread while the caller works
    on the current one (parquet decoding releases the GIL): at most one chunk ahead,
    errors raised where the chunk would have been."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="read_ahead") as pool:
        pending = pool.submit(next, chunks, None)
        while (chunk := pending.result()) is not None:
            pending = pool.submit(next, chunks, None)
            yield chunk


def _read_spilled(path: str) -> pd.DataFrame:
    """One spilled part as a DataFrame, read into memory (no mapping outlives the
    file, which is deleted with its folder)."""
    with pa.OSFile(path) as source:
        return pa.ipc.open_file(source).read_all().to_pandas()


def _part_of(values: pd.Series, parts: int) -> np.ndarray:
    """Which part each value goes to: a fixed-key hash of its text, the same in every
    run and on every machine."""
    hashed = hash_pandas_object(values.astype(str), index=False).to_numpy()
    return (hashed % parts).astype(np.int64)


class ChunkedParquetDataset(
    AbstractDataset[pd.DataFrame | Iterable[pd.DataFrame], ParquetChunks]
):
    """Parquet read and written in chunks (any fsspec path); see the module docstring.

    Examples:
        Using the YAML API::

            customer_churn.scores:
              type: risk_segments.datasets.ChunkedParquetDataset
              filepath: data/07_model_output/customer_churn/scores.parquet
              chunk_size: 200000

            customer_churn.score_input:       # the nightly extract on object storage
              type: risk_segments.datasets.ChunkedParquetDataset
              filepath: s3://my-bucket/daily/customer_churn.parquet
              credentials: data_lake

        Using the Python API::

            >>> from risk_segments.datasets import ChunkedParquetDataset
            >>> dataset = ChunkedParquetDataset(filepath="scores.parquet", chunk_size=1000)
            >>> dataset.save(iter([frame.iloc[:500], frame.iloc[500:]]))  # doctest: +SKIP
            >>> sum(len(chunk) for chunk in dataset.load())  # doctest: +SKIP
    """

    def __init__(
        self,
        *,
        filepath: str,
        chunk_size: int = 200_000,
        credentials: dict[str, Any] | None = None,
        fs_args: dict[str, Any] | None = None,
        metadata: dict[str, Any] | None = None,
    ):
        protocol, path = get_protocol_and_path(str(filepath))
        fs_args = deepcopy(fs_args) or {}
        if protocol == "file":
            fs_args.setdefault("auto_mkdir", True)
        self._protocol = protocol
        self._fs = fsspec.filesystem(protocol, **deepcopy(credentials or {}), **fs_args)
        self._filepath = PurePosixPath(path)
        self._chunk_size = int(chunk_size)
        self.metadata = metadata

    @property
    def _path(self) -> str:
        return get_filepath_str(self._filepath, self._protocol)

    def load(self) -> ParquetChunks:
        """A lazy handle on the file; nothing but the footer is read yet."""
        if not self._fs.exists(self._path):
            raise DatasetError(f"'{self._path}' does not exist")
        local = self._protocol == "file"
        return ParquetChunks(self._path, self._chunk_size, None if local else self._fs)

    def save(self, data: pd.DataFrame | Iterable[pd.DataFrame]) -> None:
        """Stream the chunks to a temporary file, then move it into place."""
        chunks = [data] if isinstance(data, pd.DataFrame) else data
        target = PurePosixPath(self._path)
        partial = str(target.with_name(f".{target.name}.partial"))
        self._fs.makedirs(str(target.parent), exist_ok=True)
        writer = None
        handle = self._fs.open(partial, "wb")
        # a chunk is written in a background thread while the next one is made (the
        # parquet encoding releases the GIL); at most one write is pending
        pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="write_behind")
        pending: Future | None = None
        try:
            for chunk in chunks:
                table = pa.Table.from_pandas(chunk, preserve_index=False)
                if writer is None:
                    writer = pq.ParquetWriter(handle, table.schema)
                table = table.cast(writer.schema)
                if pending is not None:
                    pending.result()
                pending = pool.submit(writer.write_table, table)
            if pending is not None:
                pending.result()
            if writer is None:
                raise DatasetError(
                    f"nothing to write to '{self._path}': no chunk was produced"
                )
            writer.close()
            writer = None
            handle.close()
            self._fs.mv(partial, str(target))
        finally:
            # a write still running ends before the file is closed
            pool.shutdown(wait=True)
            if writer is not None:
                writer.close()
            handle.close()
            if self._fs.exists(partial):
                self._fs.rm(partial)

    def _exists(self) -> bool:
        return self._fs.exists(self._path)

    def _describe(self) -> dict[str, Any]:
        return {
            "filepath": self._filepath,
            "protocol": self._protocol,
            "chunk_size": self._chunk_size,
        }
