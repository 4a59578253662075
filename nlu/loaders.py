"""Readers for Rasa 3.x YAML, Rasa 1.x Markdown and plain ``sentence,label`` CSV training data."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import yaml

from nlu._builder import SECTION_KINDS, DataBuilder
from nlu.errors import NluDataError
from nlu.training_data import Example, TrainingData

__all__ = ["load_training_data", "parse_markdown", "parse_yaml"]

_SUFFIXES = (".yml", ".yaml", ".md", ".csv")


def load_training_data(path: str | Path) -> TrainingData:
    """Loads a training-data file, or every data file under a folder (merged, in name order).

    The format follows the suffix: ``.yml``/``.yaml`` Rasa 3.x, ``.md`` Rasa 1.x Markdown, ``.csv``
    a ``sentence,label`` table (HINT3). In a folder, YAML files without an ``nlu:`` key (stories,
    rules, domain) are skipped.

    Raises:
        NluDataError: The path is missing or a file is malformed; the message names file and line.
    """
    path = Path(path)
    if path.is_dir():
        data = TrainingData()
        for file in sorted(p for p in path.rglob("*") if p.suffix in _SUFFIXES and p.is_file()):
            data = data.merge(_load_file(file, require_nlu=False))
        return data
    if not path.exists():
        raise NluDataError(path, None, "no such file or folder")
    return _load_file(path, require_nlu=True)


def _load_file(path: Path, *, require_nlu: bool) -> TrainingData:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise NluDataError(path, None, f"cannot read: {exc}") from None
    if path.suffix in (".yml", ".yaml"):
        return parse_yaml(text, path, require_nlu=require_nlu)
    if path.suffix == ".md":
        return parse_markdown(text, path)
    if path.suffix == ".csv":
        return _parse_csv(text, path)
    raise NluDataError(path, None, f"unknown training-data format {path.suffix!r} (use .yml, .md or .csv)")


def parse_yaml(text: str, path: str | Path = "<string>", *, require_nlu: bool = True) -> TrainingData:
    """Parses Rasa 3.x YAML NLU data (``nlu:`` list of intent/synonym/regex/lookup items)."""
    builder = DataBuilder(path)
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise builder.error(mark.line + 1 if mark else None, f"invalid YAML: {exc.problem}") from None
    except yaml.YAMLError as exc:
        raise builder.error(None, f"invalid YAML: {exc}") from None
    if root is None or not isinstance(root, yaml.MappingNode):
        if require_nlu:
            raise builder.error(1, "expected a mapping with an 'nlu:' key")
        return TrainingData()
    nlu = next((value for key, value in root.value if key.value == "nlu"), None)
    if nlu is None:
        if require_nlu:
            raise builder.error(1, "no 'nlu:' key in this file")
        return TrainingData()
    if not isinstance(nlu, yaml.SequenceNode):
        raise builder.error(nlu.start_mark.line + 1, "'nlu:' must be a list of items")
    for item in nlu.value:
        _yaml_item(builder, item)
    return builder.build()


def _yaml_item(builder: DataBuilder, item: yaml.Node) -> None:
    line = item.start_mark.line + 1
    if not isinstance(item, yaml.MappingNode):
        raise builder.error(line, "each 'nlu:' item must be a mapping like '- intent: NAME'")
    fields = {key.value: value for key, value in item.value}
    kinds = [kind for kind in SECTION_KINDS if kind in fields]
    if len(kinds) != 1:
        raise builder.error(line, "an 'nlu:' item needs exactly one of intent, synonym, regex, lookup")
    kind = kinds[0]
    name_node = fields[kind]
    if not isinstance(name_node, yaml.ScalarNode):
        raise builder.error(line, f"the {kind} name must be a plain string")
    examples = fields.get("examples")
    if examples is None:
        raise builder.error(line, f"{kind} {name_node.value!r} has no 'examples:'")
    builder.add(kind, str(name_node.value), line, _yaml_examples(builder, examples))


def _yaml_examples(builder: DataBuilder, node: yaml.Node) -> list[tuple[int, str]]:
    if isinstance(node, yaml.SequenceNode):  # Rasa 3 "examples with metadata" form
        items = []
        for entry in node.value:
            if isinstance(entry, yaml.MappingNode):
                entry = next((v for k, v in entry.value if k.value == "text"), entry)
            if not isinstance(entry, yaml.ScalarNode):
                raise builder.error(entry.start_mark.line + 1, "an example must be a string or {text: ...}")
            items.append((entry.start_mark.line + 1, str(entry.value)))
        return items
    if not isinstance(node, yaml.ScalarNode):
        raise builder.error(node.start_mark.line + 1, "'examples:' must be a block of '- ' lines")
    literal = node.style in ("|", ">")
    first = node.start_mark.line + (2 if literal else 1)
    items = []
    for offset, raw in enumerate(str(node.value).splitlines()):
        stripped = raw.strip()
        line = first + offset if literal else first
        if not stripped:
            continue
        if not stripped.startswith("-"):
            raise builder.error(line, f"expected a list item '- text', got {stripped[:40]!r}")
        items.append((line, stripped[1:]))
    return items


_MD_HEADER = re.compile(r"^##\s*(?P<kind>[A-Za-z_]+)\s*:\s*(?P<name>.*?)\s*$")
_MD_ITEM = re.compile(r"^\s*[-*+]\s(?P<text>.*)$")


def parse_markdown(text: str, path: str | Path = "<string>") -> TrainingData:
    """Parses Rasa 1.x Markdown NLU data (``## intent:NAME`` sections of ``- example`` lines)."""
    builder = DataBuilder(path)
    section: tuple[str, str, int] | None = None
    items: list[tuple[int, str]] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        if not stripped or (stripped.startswith("<!--") and stripped.endswith("-->")):
            continue
        header = _MD_HEADER.match(stripped)
        if header:
            if section:
                builder.add(*section, items)
            kind = header["kind"].lower()
            if kind not in SECTION_KINDS:
                raise builder.error(
                    number, f"unknown section '## {kind}:' (use intent, synonym, regex, lookup)"
                )
            section, items = (kind, header["name"], number), []
            continue
        if stripped.startswith("#"):
            continue  # other headings are comments in Rasa 1.x files
        item = _MD_ITEM.match(raw)
        if section is None:
            raise builder.error(number, "text before the first '## intent:' section")
        if item:
            items.append((number, item["text"]))
        elif section[0] == "lookup":  # Rasa 1.x: a lookup section may name a file of entries
            items.extend(_lookup_file(builder, Path(builder.path).parent / stripped, number))
        else:
            raise builder.error(number, f"expected a list item '- text', got {stripped[:40]!r}")
    if section:
        builder.add(*section, items)
    return builder.build()


def _lookup_file(builder: DataBuilder, file: Path, line: int) -> list[tuple[int, str]]:
    try:
        entries = file.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise builder.error(line, f"cannot read lookup file {str(file)!r}: {exc.strerror}") from None
    return [(line, entry) for entry in entries if entry.strip()]


def _parse_csv(text: str, path: Path) -> TrainingData:
    rows = csv.reader(text.splitlines())
    header = next(rows, None)
    if not header or [h.strip().lower() for h in header[:2]] != ["sentence", "label"]:
        raise NluDataError(path, 1, "expected a 'sentence,label' header")
    examples = []
    for number, row in enumerate(rows, start=2):
        if not row:
            continue
        if len(row) < 2 or not row[0].strip() or not row[1].strip():
            raise NluDataError(path, number, "expected 'sentence,label'")
        examples.append(Example(row[0].strip(), row[1].strip()))
    return TrainingData(tuple(examples))
