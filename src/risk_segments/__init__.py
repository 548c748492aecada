"""risk_segments: supervised risk scores and label-free segments from the same rows."""

from risk_segments.notices import quiet_library_notices

__version__ = "0.1.0"

quiet_library_notices()
