"""Semantic OpenAPI diff with breaking-change classification (oasdiff's rules and ids).

``python -m tools.specdiff OLD.yaml NEW.yaml [--format md|json] [--fail-on ERR|WARN]``, or
``python -m tools.specdiff --git BASE_REF [--spec openapi.yaml]``; see :mod:`tools.specdiff.cli`.
The rule catalog and the levels are in :mod:`tools.specdiff.rules`.
"""

from tools.specdiff.diff import diff_specs
from tools.specdiff.loader import SpecError
from tools.specdiff.model import Finding
from tools.specdiff.render import render_json, render_markdown

__all__ = ["Finding", "SpecError", "diff_specs", "render_json", "render_markdown"]
