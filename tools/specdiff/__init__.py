"""Semantic OpenAPI diff with breaking-change classification (oasdiff's rules and ids).

``python -m tools.specdiff OLD.yaml NEW.yaml [--format md|json|github] [--fail-on ERR|WARN]``,
or ``python -m tools.specdiff --git BASE_REF [--spec openapi.yaml]`` (which also compares the
Python API, :mod:`tools.specdiff.python_api`); see :mod:`tools.specdiff.cli`.
The rules are declared by the family modules of :mod:`tools.specdiff.rules` (see
:mod:`tools.specdiff.registry`); ``python -m tools.specdiff.parity`` scores the tool against
oasdiff's own checker tests.
"""

from tools.specdiff.diff import diff_specs
from tools.specdiff.loader import SpecError
from tools.specdiff.model import Finding, Options
from tools.specdiff.render import render_json, render_markdown

__all__ = ["Finding", "Options", "SpecError", "diff_specs", "render_json", "render_markdown"]
