"""Security: an operation's requirements, the document's (global) ones, and the schemes in
``components/securitySchemes``.

Security is a list of alternatives (a client satisfies one of them); an alternative names
schemes, each with its scopes. What changed in the list is reported as oasdiff does, at INFO:
a requirement added or removed (``api-security-*`` for an operation's own ``security``,
``api-global-security-*`` once for the document's), or scopes added to or removed from one.

Whether it breaks is judged per operation on its effective security (its own, else the
document's): an old alternative still works if some new alternative asks for no more (a subset
of its schemes, each with a subset of its scopes). If none does, ``api-security-scheme-added``
(ERR) when a new alternative extends it (another scheme or scope: a client must send
credentials it did not need), else ``api-security-alternative-removed`` (ERR).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tools.specdiff.registry import ERR, INFO, Family
from tools.specdiff.schema import canon, join

if TYPE_CHECKING:
    from tools.specdiff.context import Context

FAMILY = Family("security")
rule = FAMILY.rule

API_SECURITY_ADDED = rule("api-security-added", INFO, "an operation lists a new requirement")
API_SECURITY_REMOVED = rule(
    "api-security-removed", INFO, "an operation no longer lists a requirement"
)
API_SECURITY_SCOPE_ADDED = rule(
    "api-security-scope-added", INFO, "a requirement of an operation asks for another scope"
)
API_SECURITY_SCOPE_REMOVED = rule(
    "api-security-scope-removed", INFO, "a requirement of an operation asks for fewer scopes"
)
API_GLOBAL_SECURITY_ADDED = rule(
    "api-global-security-added", INFO, "the document lists a new requirement"
)
API_GLOBAL_SECURITY_REMOVED = rule(
    "api-global-security-removed", INFO, "the document no longer lists a requirement"
)
API_GLOBAL_SECURITY_SCOPE_ADDED = rule(
    "api-global-security-scope-added", INFO, "a requirement of the document asks for another scope"
)
API_GLOBAL_SECURITY_SCOPE_REMOVED = rule(
    "api-global-security-scope-removed", INFO, "a requirement of the document asks for fewer scopes"
)
API_SECURITY_SCHEME_ADDED = rule(
    "api-security-scheme-added",
    ERR,
    "a way a client could authenticate now needs another scheme or scope",
    deviation="no oasdiff counterpart: oasdiff reports the listed change at INFO only",
)
API_SECURITY_ALTERNATIVE_REMOVED = rule(
    "api-security-alternative-removed",
    ERR,
    "a way a client could authenticate is no longer accepted, and nothing replaces it",
    deviation="no oasdiff counterpart: oasdiff reports the listed change at INFO only",
)
API_SECURITY_COMPONENT_ADDED = rule(
    "api-security-component-added", INFO, "a security scheme was added to the components"
)
API_SECURITY_COMPONENT_REMOVED = rule(
    "api-security-component-removed", INFO, "a security scheme was removed from the components"
)
API_SECURITY_COMPONENT_TYPE_CHANGED = rule(
    "api-security-component-type-changed", INFO, "a security scheme's type changed"
)
API_SECURITY_COMPONENT_OAUTH_URL_CHANGED = rule(
    "api-security-component-oauth-url-changed",
    INFO,
    "the authorization URL of an OAuth flow changed",
)
API_SECURITY_COMPONENT_OAUTH_TOKEN_URL_CHANGED = rule(
    "api-security-component-oauth-token-url-changed", INFO, "the token URL of an OAuth flow changed"
)
API_SECURITY_COMPONENT_OAUTH_SCOPE_ADDED = rule(
    "api-security-component-oauth-scope-added", INFO, "an OAuth flow offers another scope"
)
API_SECURITY_COMPONENT_OAUTH_SCOPE_REMOVED = rule(
    "api-security-component-oauth-scope-removed", INFO, "an OAuth flow no longer offers a scope"
)

Requirement = dict[str, frozenset[str]]


def _requirements(value: Any) -> list[Requirement]:
    """The alternatives of a ``security`` value (absent or empty: one that needs nothing)."""
    if not isinstance(value, list) or not value:
        return [{}]
    found: list[Requirement] = []
    for item in value:
        if isinstance(item, dict):
            found.append(
                {
                    str(name): frozenset(str(s) for s in scopes if isinstance(s, str))
                    if isinstance(scopes, list)
                    else frozenset()
                    for name, scopes in item.items()
                }
            )
    return found or [{}]


def _listed(value: Any) -> list[Requirement]:
    """The requirements a ``security`` value lists (none for an absent or empty one)."""
    return [r for r in _requirements(value) if r]


def _within(small: Requirement, large: Requirement) -> bool:
    return all(name in large and scopes <= large[name] for name, scopes in small.items())


def _text(requirement: Requirement) -> dict[str, list[str]]:
    return {name: sorted(scopes) for name, scopes in sorted(requirement.items())}


def effective(document: dict[str, Any], operation: dict[str, Any]) -> Any:
    return operation["security"] if "security" in operation else document.get("security")


def listed_changes(ctx: Context, old_value: Any, new_value: Any, *, global_: bool) -> None:
    """What changed in a ``security`` list (INFO)."""
    added, removed = (
        (API_GLOBAL_SECURITY_ADDED, API_GLOBAL_SECURITY_REMOVED)
        if global_
        else (API_SECURITY_ADDED, API_SECURITY_REMOVED)
    )
    scope_added, scope_removed = (
        (API_GLOBAL_SECURITY_SCOPE_ADDED, API_GLOBAL_SECURITY_SCOPE_REMOVED)
        if global_
        else (API_SECURITY_SCOPE_ADDED, API_SECURITY_SCOPE_REMOVED)
    )
    old, new = _listed(old_value), _listed(new_value)
    gone = [r for r in old if r not in new]
    came = [r for r in new if r not in old]
    for before in list(gone):
        same = next((r for r in came if set(r) == set(before)), None)
        if same is None:
            continue
        gone.remove(before)
        came.remove(same)
        for name in sorted(before):
            for scope in sorted(same[name] - before[name]):
                ctx.emit(scope_added, join("security", name), None, scope)
            for scope in sorted(before[name] - same[name]):
                ctx.emit(scope_removed, join("security", name), scope, None)
    for before in gone:
        ctx.emit(removed, "security", _text(before), None)
    for after in came:
        ctx.emit(added, "security", None, _text(after))


def breaking_changes(ctx: Context, old_value: Any, new_value: Any) -> None:
    """Old alternatives that no new alternative still accepts (ERR)."""
    old, new = _requirements(old_value), _requirements(new_value)
    for before in old:
        if any(_within(after, before) for after in new):
            continue
        extended = [after for after in new if _within(before, after)]
        if extended:
            ctx.emit(API_SECURITY_SCHEME_ADDED, "security", _text(before), _text(extended[0]))
        else:
            ctx.emit(API_SECURITY_ALTERNATIVE_REMOVED, "security", _text(before), None)


def operation(
    ctx: Context,
    old_doc: dict[str, Any],
    new_doc: dict[str, Any],
    old_op: dict[str, Any],
    new_op: dict[str, Any],
) -> None:
    if "security" in old_op or "security" in new_op:
        listed_changes(ctx, old_op.get("security"), new_op.get("security"), global_=False)
    breaking_changes(ctx, effective(old_doc, old_op), effective(new_doc, new_op))


def document(ctx: Context) -> None:
    """The document's ``security`` list and ``components/securitySchemes`` (document level)."""
    listed_changes(ctx, ctx.old_doc.get("security"), ctx.new_doc.get("security"), global_=True)
    schemes = [_schemes(doc) for doc in (ctx.old_doc, ctx.new_doc)]
    old, new = schemes
    for name in old:
        where = join("components/securitySchemes", name)
        if name not in new:
            ctx.emit(API_SECURITY_COMPONENT_REMOVED, where, name, None)
            continue
        before, after = old[name], new[name]
        if before.get("type") != after.get("type"):
            ctx.emit(
                API_SECURITY_COMPONENT_TYPE_CHANGED, where, before.get("type"), after.get("type")
            )
        _flows(ctx, before, after, where)
    for name in new:
        if name not in old:
            ctx.emit(
                API_SECURITY_COMPONENT_ADDED, join("components/securitySchemes", name), None, name
            )


def _schemes(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    components = doc.get("components")
    schemes = components.get("securitySchemes") if isinstance(components, dict) else None
    if not isinstance(schemes, dict):
        return {}
    return {str(k): v for k, v in schemes.items() if isinstance(v, dict)}


def _flows(ctx: Context, before: dict[str, Any], after: dict[str, Any], where: str) -> None:
    old_flows, new_flows = before.get("flows"), after.get("flows")
    if not isinstance(old_flows, dict) or not isinstance(new_flows, dict):
        return
    for flow, old_flow in old_flows.items():
        new_flow = new_flows.get(flow)
        if not isinstance(old_flow, dict) or not isinstance(new_flow, dict):
            continue
        at = join(where, "flows", flow)
        for key, rule_id in (
            ("authorizationUrl", API_SECURITY_COMPONENT_OAUTH_URL_CHANGED),
            ("tokenUrl", API_SECURITY_COMPONENT_OAUTH_TOKEN_URL_CHANGED),
        ):
            if canon(old_flow.get(key)) != canon(new_flow.get(key)):
                ctx.emit(rule_id, join(at, key), old_flow.get(key), new_flow.get(key))
        old_scopes = _scopes(old_flow)
        new_scopes = _scopes(new_flow)
        for scope in new_scopes:
            if scope not in old_scopes:
                ctx.emit(API_SECURITY_COMPONENT_OAUTH_SCOPE_ADDED, join(at, "scopes"), None, scope)
        for scope in old_scopes:
            if scope not in new_scopes:
                ctx.emit(
                    API_SECURITY_COMPONENT_OAUTH_SCOPE_REMOVED, join(at, "scopes"), scope, None
                )


def _scopes(flow: dict[str, Any]) -> dict[str, Any]:
    scopes = flow.get("scopes")
    return scopes if isinstance(scopes, dict) else {}
