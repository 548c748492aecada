"""risk_segments: supervised risk scores and label-free segments from the same rows."""

__version__ = "0.1.0"
