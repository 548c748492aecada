"""Library notices no user of this project can act on, kept out of every run's log.

A `kedro run` logged eight such warnings before its first line of work: six omegaconf
deprecations raised inside Kedro and kedro-mlflow, MLflow's advice on type hints for a
class kedro-mlflow defines, and pyspark's note on pandas-on-Spark, which pandera imports
and the project never uses (its Spark path is Spark SQL and Arrow, tested against
pandas). ArviZ (imported by pymc-marketing for the BTYD models) announces its refactor
on the first import of each day, so a fresh machine's first run showed it too. They
buried the warnings that are the user's business: a column, a file, a drift. Each
pattern is one message of one library; every other warning still shows.

Kedro 1.7 deprecates `kedro run --pipeline=score` for `--pipelines=score` (the same run)
with a warning on every score run; `--pipeline` is how this project's users start the
nightly batch (README, docs), so the nightly log would open with a WARNING about the
command line. The pinned Kedro accepts both; a Kedro that drops `--pipeline` fails the
tests that run it.

Installed twice, because the first notice is raised before the project is imported:
as a `kedro.init` entry point (pyproject.toml), which the `kedro` command runs before it
loads its plugins, and on importing the package (a session opened from Python).
"""

from __future__ import annotations

import logging
import re
import warnings

from kedro import KedroDeprecationWarning

# (the start of the message, as a regular expression; its category)
LIBRARY_NOTICES = (
    (r"register_new_resolver\(\) is deprecated", UserWarning),  # omegaconf, via Kedro
    (r"(\x1b\[\d+m)?Add type hints to the `predict` method", UserWarning),  # mlflow
    (r"PySpark does not yet fully support pandas", FutureWarning),  # via pandera
    # arviz, via pymc-marketing (the BTYD models), on the first import of each day
    (r"\s*ArviZ is undergoing a major refactor", FutureWarning),
    # kedro run --pipeline=score (the project's documented command; above)
    (r"Option '--pipeline' is deprecated", KedroDeprecationWarning),
)
# as Python logs a warning while Kedro runs: "<file>:<line>: <Category>: <message>"
_LOGGED = re.compile(
    "|".join(
        rf": {category.__name__}: {message}" for message, category in LIBRARY_NOTICES
    )
)


class LibraryNotices(logging.Filter):
    """Drops the log records of the notices above; passes every other record."""

    def filter(self, record: logging.LogRecord) -> bool:
        return _LOGGED.search(record.getMessage()) is None


def quiet_library_notices() -> None:
    """Ignore the notices above, and only them, from here on: as warnings, and as the
    log records Kedro makes of warnings (MLflow shows its notice with a filter of its
    own, which overrides any warnings filter)."""
    for message, category in LIBRARY_NOTICES:
        warnings.filterwarnings("ignore", message, category)
    logged = logging.getLogger("py.warnings")
    if not any(isinstance(f, LibraryNotices) for f in logged.filters):
        logged.addFilter(LibraryNotices())
