"""Library notices no user can act on stay out of the log; every other warning shows."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import textwrap
import warnings
from importlib.metadata import entry_points

from kedro import KedroDeprecationWarning as KedroDeprecation

from risk_segments.notices import LibraryNotices, quiet_library_notices


def test_the_notices_and_only_them_are_ignored():
    issued = [
        ("register_new_resolver() is deprecated and will go", UserWarning),
        ("\x1b[33mAdd type hints to the `predict` method\x1b[0m", UserWarning),
        ("PySpark does not yet fully support pandas >= 3.0.0", FutureWarning),
        ("\nArviZ is undergoing a major refactor to improve", FutureWarning),
        ("Option '--pipeline' is deprecated and will be removed", KedroDeprecation),
        ("register_new_resolver() is deprecated", FutureWarning),  # another category
        ("column 'gmv' has values never seen in training", UserWarning),
    ]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        quiet_library_notices()
        for message, category in issued:
            warnings.warn(message, category, stacklevel=1)
    assert [str(w.message) for w in caught] == [
        "register_new_resolver() is deprecated",
        "column 'gmv' has values never seen in training",
    ]


def test_logged_notices_are_dropped_other_records_pass():
    notices = LibraryNotices()

    def record(message: str) -> logging.LogRecord:
        return logging.LogRecord(
            "py.warnings", logging.WARNING, "", 0, message, (), None
        )

    assert not notices.filter(
        record(
            "/x/data_validation.py:187: UserWarning: \x1b[33mAdd type hints to the "
            "`predict` method to enable data validation\x1b[0m\n  color_warning("
        )
    )
    assert notices.filter(record("/x/y.py:3: UserWarning: Add type hints, please"))
    assert notices.filter(record("scored 200000 / 240000 rows"))


def test_the_kedro_command_installs_them_before_its_plugins():
    hooks = {e.value for e in entry_points(group="kedro.init")}
    assert "risk_segments.notices:quiet_library_notices" in hooks


def test_a_session_logs_none_of_the_real_notices(tmp_path):
    """The libraries' own notices, raised by the imports and calls that raise them in a
    run, logged the way Kedro logs warnings: none shows, a warning of ours does."""
    script = textwrap.dedent(
        """
        import logging, warnings
        logging.captureWarnings(True)
        logging.basicConfig(level=logging.WARNING)
        import risk_segments  # installs the filters
        from kedro.config import OmegaConfigLoader
        OmegaConfigLoader("conf", base_env="base", default_run_env="local")["parameters"]
        try:
            import kedro_mlflow.framework.hooks  # MLflow's type-hint notice
        except ImportError:
            pass
        import pandas as pd, pandera.pandas as pa
        pa.DataFrameSchema({"a": pa.Column(int)}).validate(pd.DataFrame({"a": [1]}))
        import arviz  # its daily notice (a fresh cache: as on a new machine)
        warnings.warn("a warning of ours", stacklevel=1)
        """
    )
    wide = {  # no message wrapped across lines; arviz's daily stamp not yet written
        **os.environ,
        "COLUMNS": "1000",
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
    }
    run = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=True,
        env=wide,
    )
    logged = run.stdout + run.stderr  # (Kedro's console handler writes to stdout)
    assert "a warning of ours" in logged
    for notice in (
        "register_new_resolver",
        "Add type hints",
        "PySpark does not",
        "ArviZ is undergoing",
    ):
        assert notice not in logged, logged
