"""The version of portkey-runs: ``[project].version`` of pyproject.toml, the one place it is
written (``make release VERSION=X.Y.Z`` sets it). Imported from a source checkout (the
repository's ``overlay/`` on the path), it is read from that checkout's pyproject.toml, which
the code being run belongs to; installed, from the distribution's metadata."""

import tomllib
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

_NAME = "portkey-runs"


def _from_checkout() -> str | None:
    """The version in the pyproject.toml of the checkout this module lies in, if it does."""
    try:
        with (Path(__file__).resolve().parents[2] / "pyproject.toml").open("rb") as file:
            project = tomllib.load(file).get("project", {})
    except (OSError, tomllib.TOMLDecodeError):
        return None
    found = project.get("version") if project.get("name") == _NAME else None
    return found if isinstance(found, str) else None


try:
    __version__ = _from_checkout() or version(_NAME)
except PackageNotFoundError:  # neither a checkout nor installed
    __version__ = "0+unknown"
