"""Small builders for OpenAPI documents used by the specdiff tests."""

from __future__ import annotations

import copy
import subprocess
from pathlib import Path
from typing import Any

from tools.specdiff import Finding

OK = {"200": {"description": "ok"}}


def spec(
    paths: dict[str, Any] | None = None,
    schemas: dict[str, Any] | None = None,
    *,
    version: str = "1.0.0",
    openapi: str = "3.0.3",
) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "openapi": openapi,
        "info": {"title": "test", "version": version},
        "paths": copy.deepcopy(paths or {}),
    }
    if schemas is not None:
        doc["components"] = {"schemas": copy.deepcopy(schemas)}
    return doc


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def obj(properties: dict[str, Any], required: list[str] | None = None) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        schema["required"] = required
    return schema


def body(schema: Any, *, required: bool = True) -> dict[str, Any]:
    return {"required": required, "content": {"application/json": {"schema": schema}}}


def response(schema: Any, status: str = "200") -> dict[str, Any]:
    return {status: {"description": "ok", "content": {"application/json": {"schema": schema}}}}


def post_body(schema: Any) -> dict[str, Any]:
    """``POST /x`` taking ``schema`` as its JSON body."""
    return {"/x": {"post": {"requestBody": body(schema), "responses": OK}}}


def get_response(schema: Any) -> dict[str, Any]:
    """``GET /x`` returning ``schema`` as its 200 JSON body."""
    return {"/x": {"get": {"responses": response(schema)}}}


def get_param(schema: Any, **extra: Any) -> dict[str, Any]:
    param = {"name": "p", "in": "query", "schema": schema, **extra}
    return {"/x": {"get": {"parameters": [param], "responses": OK}}}


def get_header(schema: Any) -> dict[str, Any]:
    headers = {"X-P": {"schema": schema}}
    return {"/x": {"get": {"responses": {"200": {"description": "ok", "headers": headers}}}}}


def summary(findings: list[Finding]) -> list[tuple[str, str]]:
    return [(f.id, f.level) for f in findings]


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        [
            "git",
            "-c",
            "user.name=specdiff tests",
            "-c",
            "user.email=specdiff@example.invalid",
            "-c",
            "commit.gpgsign=false",
            "-c",
            "init.defaultBranch=main",
            *args,
        ],
        cwd=repo,
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout.strip()


def merge_paths(*parts: dict[str, Any]) -> dict[str, Any]:
    """Combine ``paths`` mappings, merging the operations of a path they share."""
    merged: dict[str, Any] = {}
    for part in parts:
        for path, item in part.items():
            merged[path] = {**merged.get(path, {}), **item}
    return merged
