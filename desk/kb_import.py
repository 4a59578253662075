"""Reading KB articles from files: a JSON or YAML list, a CSV, or a folder of Markdown files.

Each article is ``{title, body, tags?, language?, category?, status?}``. Markdown files may
start with a YAML front matter block; without a ``title`` there, the first ``# heading`` is the
title and the rest is the body. Errors name the file and the line or the item.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import yaml

from desk.errors import InvalidInput

__all__ = ["read_articles"]

_FIELDS = {"title", "body", "tags", "language", "category", "status"}


def _check(items: Any, where: str) -> list[dict[str, Any]]:
    if not isinstance(items, list):
        raise InvalidInput(f"{where}: expected a list of articles")
    out = []
    for i, item in enumerate(items, 1):
        if not isinstance(item, dict):
            raise InvalidInput(f"{where}: item {i} is not a mapping")
        unknown = sorted(set(item) - _FIELDS)
        if unknown:
            raise InvalidInput(f"{where}: item {i} has unknown field {unknown[0]!r}")
        for required in ("title", "body"):
            if not str(item.get(required) or "").strip():
                raise InvalidInput(f"{where}: item {i} has no {required}")
        out.append(item)
    return out


def _markdown(path: Path) -> dict[str, Any]:
    text = path.read_text(encoding="utf-8-sig")
    meta: dict[str, Any] = {}
    if text.startswith("---"):
        end = text.find("\n---", 3)
        if end == -1:
            raise InvalidInput(f"{path}:1: front matter is not closed with ---")
        try:
            loaded = yaml.safe_load(text[3:end])
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            raise InvalidInput(f"{path}:{(mark.line + 2) if mark else 1}: bad front matter") from exc
        meta = loaded if isinstance(loaded, dict) else {}
        text = text[end + 4 :]
    body = text.strip()
    if "title" not in meta:
        first, _, rest = body.partition("\n")
        if first.startswith("#"):
            meta["title"], body = first.lstrip("#").strip(), rest.strip()
        else:
            meta["title"] = path.stem.replace("-", " ").replace("_", " ")
    return {**meta, "body": body}


def read_articles(path: Path) -> list[dict[str, Any]]:
    """The articles in ``path`` (a file or a folder of ``*.md``), validated.

    Raises:
        InvalidInput: naming the file and the line or item that is wrong.
    """
    if path.is_dir():
        files = sorted(p for p in path.rglob("*.md") if p.is_file())
        if not files:
            raise InvalidInput(f"{path}: no Markdown (*.md) files")
        return _check([_markdown(p) for p in files], str(path))
    if not path.is_file():
        raise InvalidInput(f"{path}: no such file or folder")
    suffix = path.suffix.lower()
    text = path.read_text(encoding="utf-8-sig")
    if suffix == ".json":
        try:
            return _check(json.loads(text), str(path))
        except json.JSONDecodeError as exc:
            raise InvalidInput(f"{path}:{exc.lineno}: {exc.msg}") from exc
    if suffix in (".yml", ".yaml"):
        try:
            return _check(yaml.safe_load(text), str(path))
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            raise InvalidInput(f"{path}:{(mark.line + 1) if mark else 1}: not valid YAML") from exc
    if suffix == ".csv":
        reader = csv.DictReader(io.StringIO(text))
        missing = {"title", "body"} - set(reader.fieldnames or ())
        if missing:
            raise InvalidInput(f"{path}:1: the header needs {', '.join(sorted(missing))} columns")
        rows = []
        for row in reader:
            item = {k: v for k, v in row.items() if k in _FIELDS and v not in (None, "")}
            if "title" not in item or "body" not in item:
                raise InvalidInput(f"{path}:{reader.line_num}: a row needs a title and a body")
            rows.append(item)
        return _check(rows, str(path))
    if suffix == ".md":
        return _check([_markdown(path)], str(path))
    raise InvalidInput(f"{path}: use a .json, .yml, .yaml, .csv or .md file, or a folder of .md files")
