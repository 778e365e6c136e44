"""The version of portkey-runs: ``[project].version`` of pyproject.toml, the one place it is
written (``make release VERSION=X.Y.Z`` sets it), as the installed distribution reports it."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("portkey-runs")
except PackageNotFoundError:  # imported from a source tree that was never installed
    __version__ = "0+unknown"
