"""The version of portkey-runs (also in pyproject.toml; a test holds the two equal)."""

__version__ = "1.0.0"
