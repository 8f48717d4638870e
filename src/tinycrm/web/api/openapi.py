"""The OpenAPI 3.1 document of the API, made from the route table (:mod:`.resources`) and the read models'
fields, so it cannot drift from what the server does (a test checks both ways)."""

from __future__ import annotations

import re
from dataclasses import MISSING, fields, is_dataclass
from typing import Any

from tinycrm.web.api.resources import Action, Resource

PREFIX = "/api/v1"

_SIMPLE = {"int": "integer", "str": "string", "bool": "boolean", "float": "number", "Decimal": "string"}
_DATES = {"datetime": "date-time", "date": "date"}


def _type(annotation: str, models: dict[str, type], refs: set[str]) -> dict[str, Any]:
    parts = [p.strip() for p in _split(annotation)]
    nullable = "None" in parts
    parts = [p for p in parts if p != "None"]
    if len(parts) != 1:
        schema: dict[str, Any] = {}  # several types (str | int...): anything
    else:
        schema = _one(parts[0], models, refs)
    if nullable and schema:
        return {"anyOf": [schema, {"type": "null"}]}
    return schema


def _split(annotation: str) -> list[str]:
    out, depth, cur = [], 0, ""
    for ch in annotation:
        depth += ch == "["
        depth -= ch == "]"
        if ch == "|" and depth == 0:
            out.append(cur)
            cur = ""
        else:
            cur += ch
    return [*out, cur]


def _one(name: str, models: dict[str, type], refs: set[str]) -> dict[str, Any]:
    if name in _SIMPLE:
        return {"type": _SIMPLE[name]}
    if name in _DATES:
        return {"type": "string", "format": _DATES[name]}
    match = re.fullmatch(r"(?:list|tuple|Sequence)\[(.*)\]", name)
    if match:
        inner = match.group(1).removesuffix(", ...")
        return {"type": "array", "items": _type(inner, models, refs)}
    if name.startswith("dict["):
        return {"type": "object"}
    if name in models:
        refs.add(name)
        return {"$ref": f"#/components/schemas/{name}"}
    return {}


def _models() -> dict[str, type]:
    """Every dataclass of the domain modules the read models come from, by name."""
    import inspect

    from tinycrm.domain import leads, people, rows, sales, support, tasks

    out: dict[str, type] = {}
    for module in (rows, people, sales, tasks, leads, support):
        for name, value in inspect.getmembers(module, inspect.isclass):
            if is_dataclass(value) and value.__module__ == module.__name__:
                out[name] = value
    return out


def schema_of(
    model: type, models: dict[str, type], refs: set[str], *, all_required: bool = True
) -> dict[str, Any]:
    props, required = {}, []
    for f in fields(model):
        if f.name.startswith("_"):
            continue
        props[f.name] = _type(str(f.type), models, refs)
        if all_required or (f.default is MISSING and f.default_factory is MISSING):
            required.append(f.name)
    return {"type": "object", "properties": props, "required": required}


def _error() -> dict[str, Any]:
    return {
        "description": "an error",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


def _json(ref: str, description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}},
    }


def operations(r: Resource) -> dict[str, dict[str, Any]]:
    """The paths and methods of one resource."""
    errors = {"400": _error(), "401": _error(), "403": _error(), "503": _error()}
    page = [
        {
            "name": "limit",
            "in": "query",
            "schema": {"type": "integer", "minimum": 1, "maximum": 500, "default": 20},
        },
        {"name": "offset", "in": "query", "schema": {"type": "integer", "minimum": 0, "default": 0}},
    ]
    params = [
        {"name": p.name, "in": "query", "description": p.help, "schema": {"type": p.type}} for p in r.params
    ]
    listing = {
        "summary": f"List {r.name}. {r.help}",
        "operationId": f"list_{r.name}",
        "parameters": params + page,
        "responses": {"200": _json(f"{r.item_model.__name__}Page", "one page"), **errors},
    }
    paths: dict[str, dict[str, Any]] = {f"{PREFIX}/{r.name}": {"get": listing}}
    one: dict[str, Any] = {}
    rid = [{"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}]
    found = {"200": _json(r.model.__name__, "the record"), "404": _error(), **errors}
    if r.get:
        one["get"] = {
            "summary": f"One of {r.name}.",
            "operationId": f"get_{r.name}",
            "parameters": rid,
            "responses": found,
        }
    if r.create:
        paths[f"{PREFIX}/{r.name}"]["post"] = {
            "summary": f"Add one of {r.name}.",
            "operationId": f"create_{r.name}",
            "requestBody": {"required": True, "content": {"application/json": {"schema": _input(r)}}},
            "responses": {
                "201": _json(r.model.__name__, "the new record"),
                "404": _error(),
                "409": _error(),
                **errors,
            },
        }
    if r.update:
        body: dict[str, Any] = {"type": "object", "description": "the fields to change"}
        if r.versioned:
            body = {**body, "properties": {"version": {"type": "integer"}}, "required": ["version"]}
        one["patch"] = {
            "summary": f"Change one of {r.name}: give the version you read; 409 when someone changed it since.",
            "operationId": f"update_{r.name}",
            "parameters": rid,
            "requestBody": {"required": True, "content": {"application/json": {"schema": body}}},
            "responses": {**found, "409": _error()},
        }
    if r.delete:
        one["delete"] = {
            "summary": f"Delete one of {r.name} for good; gives it as it was.",
            "operationId": f"delete_{r.name}",
            "parameters": rid,
            "responses": {**found, "409": _error()},
        }
    if one:
        paths[f"{PREFIX}/{r.name}/{{id}}"] = one
    for a in r.actions:
        paths[f"{PREFIX}/{r.name}/{{id}}/{a.name}"] = {"post": _action(r, a, rid, errors)}
    return paths


def _action(r: Resource, a: Action, rid: list[Any], errors: dict[str, Any]) -> dict[str, Any]:
    """``POST /api/v1/NAME/{id}/ACTION``."""
    body = {
        "type": "object",
        "properties": {k: {"type": t, "description": h} for k, (t, h) in a.fields.items()},
        "required": list(a.required),
        "additionalProperties": False,
    }
    return {
        "summary": a.help,
        "operationId": f"{r.name}_{a.name}",
        "parameters": rid,
        "requestBody": {"required": True, "content": {"application/json": {"schema": body}}},
        "responses": {
            "201": _json(r.model.__name__, "the record after it"),
            "404": _error(),
            "409": _error(),
            **errors,
        },
    }


def _input(r: Resource) -> dict[str, Any]:
    if r.input_model is None:
        return {"type": "object"}
    return {"$ref": f"#/components/schemas/{r.input_model.__name__}"}


def document(table: list[Resource]) -> dict[str, Any]:
    models = _models()
    refs: set[str] = set()
    paths: dict[str, Any] = {}
    schemas: dict[str, Any] = {}
    for r in table:
        paths.update(operations(r))
        refs.update({r.model.__name__, r.item_model.__name__})
        if r.input_model is not None:
            schemas[r.input_model.__name__] = schema_of(r.input_model, models, refs, all_required=False)
        item = {"$ref": f"#/components/schemas/{r.item_model.__name__}"}
        schemas[f"{r.item_model.__name__}Page"] = {
            "type": "object",
            "properties": {
                "items": {"type": "array", "items": item},
                "total": {"type": "integer"},
                "limit": {"type": "integer"},
                "offset": {"type": "integer"},
                "more": {"type": "boolean"},
                "estimate": {"type": "boolean"},
                "order": {
                    "type": "string",
                    "enum": ["relevance", "name", "newest"],
                    "description": "a search's order: best matches first (several words), by name (one word, "
                    "or thousands of matches), newest first (an estimated total)",
                },
            },
            "required": ["items", "total", "limit", "offset", "more"],
        }
    done: set[str] = set()
    while refs - done:
        name = sorted(refs - done)[0]
        done.add(name)
        schemas.setdefault(name, schema_of(models[name], models, refs))
    schemas["Error"] = {
        "type": "object",
        "properties": {
            "error": {
                "type": "object",
                "properties": {
                    "status": {"type": "integer"},
                    "message": {"type": "string"},
                    "field": {"type": "string"},
                },
                "required": ["status", "message"],
            }
        },
        "required": ["error"],
    }
    paths[f"{PREFIX}/openapi.json"] = {
        "get": {
            "summary": "This document.",
            "operationId": "openapi",
            "responses": {"200": {"description": "OpenAPI 3.1"}, "401": _error()},
        }
    }
    return {
        "openapi": "3.1.0",
        "info": {"title": "tinycrm API", "version": "1"},
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "description": "crm token create"}
            },
            "schemas": schemas,
        },
        "security": [{"bearer": []}],
        "paths": paths,
    }
