"""How an operation is reached: its effective ``security`` and ``servers``.

An operation's security is its own ``security`` if it has one, else the document's; its servers
are its own, else its path's, else the document's. Both are compared per operation, so a
document-level change is reported at every operation it affects.

Security is a list of alternatives (a client satisfies one of them); an alternative names
schemes, each with its scopes. An old alternative still works if some new alternative asks for
no more (a subset of its schemes, each with a subset of its scopes). If none does:
``api-security-scheme-added`` when a new alternative extends it (another scheme or scope), else
``api-security-removed``; both ERR. Any other new alternative that is not an old one is
``api-security-added`` (INFO).
"""

from __future__ import annotations

from typing import Any

Change = tuple[str, str, Any, Any]  # (rule id, path, old, new)
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


def _within(small: Requirement, large: Requirement) -> bool:
    return all(name in large and scopes <= large[name] for name, scopes in small.items())


def _text(requirement: Requirement) -> dict[str, list[str]]:
    return {name: sorted(scopes) for name, scopes in sorted(requirement.items())}


def effective_security(document: dict[str, Any], operation: dict[str, Any]) -> Any:
    return operation["security"] if "security" in operation else document.get("security")


def security_changes(old_value: Any, new_value: Any) -> list[Change]:
    old, new = _requirements(old_value), _requirements(new_value)
    changes: list[Change] = []
    reported: list[Requirement] = []
    for before in old:
        if any(_within(after, before) for after in new):
            continue
        extended = [after for after in new if _within(before, after)]
        reported += extended[:1]
        if extended:
            changes.append(
                ("api-security-scheme-added", "security", _text(before), _text(extended[0]))
            )
        else:
            changes.append(("api-security-removed", "security", _text(before), None))
    for after in new:
        if after not in old and after not in reported:
            changes.append(("api-security-added", "security", None, _text(after)))
    return changes


def _urls(value: Any) -> list[str]:
    if not isinstance(value, list):
        return []
    urls = [str(s.get("url", "")).rstrip("/") for s in value if isinstance(s, dict)]
    return [url for url in urls if url] or []


def effective_servers(
    document: dict[str, Any], item: dict[str, Any], operation: dict[str, Any]
) -> list[str]:
    for holder in (operation, item, document):
        urls = _urls(holder.get("servers"))
        if urls:
            return urls
    return []  # the default, "/", on both sides alike


def server_changes(old: list[str], new: list[str]) -> list[Change]:
    """Changed (WARN; paired in order), removed (WARN) and added (INFO) server URLs."""
    removed = [url for url in old if url not in new]
    added = [url for url in new if url not in old]
    changes: list[Change] = []
    for index, url in enumerate(removed):
        if index < len(added):
            changes.append(("api-server-changed", "servers", url, added[index]))
        else:
            changes.append(("api-server-removed", "servers", url, None))
    for url in added[len(removed) :]:
        changes.append(("api-server-added", "servers", None, url))
    return changes
