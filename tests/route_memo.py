"""FastAPI's analysis of each route, done once per test worker instead of once per test's app.

FastAPI (0.137 and later) analyses a router's routes again for every app that includes it, on that
app's first request: each endpoint's signature and dependencies (``get_dependant``), and a pydantic
``TypeAdapter`` for each parameter, body and response model. A server builds one app and pays it
once; the suite builds an app for most of its 2,600 tests, and paid it in each: 95 ms of an app's
110 ms to its first answer (``benchmarks``-style measurement in the commit that added this).

The desk's routers are module-level, so their endpoints and dependencies are the same objects in
every app and the analysis gives the same answer. It is kept here for endpoints defined at module
level only; a route made inside a function (a channel's webhook, built per app around it) is
analysed afresh each time, and nothing here keeps an app alive. Each app gets its own copy of a
dependant's lists, which FastAPI extends per route; the fields in them are shared, and nothing
changes them after analysis (Phoenix does the same for its suite: Arize-ai/phoenix#15881).

With a FastAPI whose internals differ, :func:`install` changes nothing and the suite is slower.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Hashable, Sequence
from typing import Any

import fastapi.routing as routing

__all__ = ["install"]

_DEPENDANTS: dict[Hashable, tuple[Any, list[Any], bool, list[Any]]] = {}
_FIELDS: dict[Hashable, Any] = {}
_BODIES: dict[Hashable, Any] = {}
_SHARED_PARAMS: set[int] = set()  # ids of body parameters held in _DEPENDANTS (so never reused)


def _fresh(call: Callable[..., Any]) -> bool:
    return "<locals>" in getattr(call, "__qualname__", "<locals>")


def install() -> bool:
    names = (
        "_build_dependant_with_parameterless_dependencies",
        "create_model_field",
        "_get_body_field",
        "Dependant",
    )
    if not all(hasattr(routing, n) for n in names):
        return False
    build_dependant = routing._build_dependant_with_parameterless_dependencies
    make_field = routing.create_model_field
    body_field = routing._get_body_field
    lists = [f.name for f in dataclasses.fields(routing.Dependant) if f.default_factory is list]

    def dependant(*, path: str, call: Callable[..., Any], dependencies: Sequence[Any]) -> Any:
        if _fresh(call):
            return build_dependant(path=path, call=call, dependencies=dependencies)
        key = (path, call, tuple(map(id, dependencies)))
        hit = _DEPENDANTS.get(key)
        if hit is None:
            # The dependencies are kept with it so that their ids in the key stay theirs.
            made, body, embed = build_dependant(path=path, call=call, dependencies=dependencies)
            hit = _DEPENDANTS[key] = (made, body, embed, list(dependencies))
            _SHARED_PARAMS.update(map(id, body))
        made, body, embed, _ = hit
        own = dataclasses.replace(made, **{name: list(getattr(made, name)) for name in lists})
        return own, list(body), embed

    def field(name: str, type_: Any, *args: Any, **kwargs: Any) -> Any:
        key = (name, type_, args, tuple(sorted(kwargs.items())))
        try:
            hash(key)
        except TypeError:
            return make_field(name, type_, *args, **kwargs)
        if key not in _FIELDS:
            _FIELDS[key] = make_field(name, type_, *args, **kwargs)
        return _FIELDS[key]

    def body(*, body_params: list[Any], name: str, embed_body_fields: bool) -> Any:
        ids = tuple(map(id, body_params))
        if not all(i in _SHARED_PARAMS for i in ids):
            return body_field(body_params=body_params, name=name, embed_body_fields=embed_body_fields)
        key = (ids, name, embed_body_fields)
        if key not in _BODIES:
            _BODIES[key] = body_field(body_params=body_params, name=name, embed_body_fields=embed_body_fields)
        return _BODIES[key]

    routing._build_dependant_with_parameterless_dependencies = dependant
    routing.create_model_field = field
    routing._get_body_field = body
    return True
