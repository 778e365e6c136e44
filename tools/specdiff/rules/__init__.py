"""The rule families and the catalogue assembled from them.

One module per family declares its rules next to the checks that emit them (see
:mod:`tools.specdiff.registry`): :mod:`.endpoints`, :mod:`.parameters`,
:mod:`.request_bodies`, :mod:`.responses`, :mod:`.headers`, :mod:`.security`,
:mod:`.schemas`.
"""

from __future__ import annotations

from tools.specdiff.registry import Family, Rule, assemble
from tools.specdiff.rules import (
    endpoints,
    headers,
    parameters,
    request_bodies,
    responses,
    schemas,  # first: the other families use its checks
    security,
)

FAMILIES: list[Family] = [
    endpoints.FAMILY,
    parameters.FAMILY,
    request_bodies.FAMILY,
    responses.FAMILY,
    headers.FAMILY,
    security.FAMILY,
    schemas.FAMILY,
]

#: Every rule id -> its :class:`~tools.specdiff.registry.Rule`.
RULES: dict[str, Rule] = assemble(FAMILIES)
