"""YAML read safely into plain data, remembering where every key and value was written.

PyYAML's node API (``compose``) parses without constructing objects, so no tag can run code;
this module then builds dicts, lists and scalars itself and records each value's line and column
so that later checks can point at the exact place. Non-standard tags are refused, duplicate keys
are reported (PyYAML would silently keep the last one), and aliases are expanded with a cap on
the total size so a "billion laughs" document cannot exhaust memory.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from typing import Any

import yaml
import yaml.reader
from yaml.constructor import SafeConstructor

Path = tuple[str | int, ...]

MAX_NODES = 100_000
MAX_DEPTH = 50

_PLAIN_TAGS = {
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
}
_TEXT_TAGS = {"tag:yaml.org,2002:str", "tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:binary"}


@dataclass(frozen=True)
class Position:
    """A 1-based line and column in a file."""

    line: int
    column: int


@dataclass
class Source:
    """A parsed YAML document and where each part of it was written.

    Attributes:
        text: The file's text.
        data: The document as plain dicts, lists and scalars.
        problems: What made parts of the document unusable, each with its position.
    """

    text: str
    data: Any = None
    problems: list[tuple[Position, str]] = field(default_factory=list)
    _values: dict[Path, tuple[int, int]] = field(default_factory=dict)
    _keys: dict[Path, int] = field(default_factory=dict)
    _line_starts: list[int] = field(default_factory=list)

    def position_of_index(self, index: int) -> Position:
        """The line and column of a character index into ``text``."""
        if not self._line_starts:
            self._line_starts = [0] + [i + 1 for i, char in enumerate(self.text) if char == "\n"]
        line = bisect.bisect_right(self._line_starts, index)
        return Position(line, index - self._line_starts[line - 1] + 1)

    def value_position(self, path: Path) -> Position:
        """Where the value at ``path`` starts (or its nearest enclosing value, or the file start)."""
        while path not in self._values and path:
            path = path[:-1]
        start = self._values.get(path, (0, 0))[0]
        return self.position_of_index(start)

    def key_position(self, path: Path) -> Position:
        """Where the key naming ``path`` is written (its value's position for list items)."""
        if path in self._keys:
            return self.position_of_index(self._keys[path])
        return self.value_position(path)

    def text_position(self, path: Path, fragment: str, offset: int) -> Position:
        """Where character ``offset`` of ``fragment``, written inside the value at ``path``, is.

        Falls back to the value's start when the fragment is not written verbatim (escapes in a
        double-quoted string, a folded block).
        """
        if path in self._values:
            start, end = self._values[path]
            found = self.text.find(fragment, start, end) if fragment else -1
            if found >= 0:
                return self.position_of_index(found + offset)
        return self.value_position(path)


def parse(text: str) -> Source:
    """Parse one YAML document; problems (syntax, tags, duplicate keys) go to ``Source.problems``."""
    source = Source(text)
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        position = Position(mark.line + 1, mark.column + 1) if mark else Position(1, 1)
        problem = error.problem or "not valid YAML"
        context = f" ({error.context})" if error.context else ""
        source.problems.append((position, f"invalid YAML: {problem}{context}"))
        return source
    except yaml.YAMLError as error:
        position = Position(1, 1)
        if isinstance(error, yaml.reader.ReaderError):
            position = source.position_of_index(error.position)
        source.problems.append((position, f"invalid YAML: {str(error).splitlines()[0]}"))
        return source
    except RecursionError:
        source.problems.append(
            (Position(1, 1), f"the document is nested too deeply (over {MAX_DEPTH} levels)")
        )
        return source
    if node is None:
        source.problems.append((Position(1, 1), "the file is empty: expected a workflow"))
        return source
    builder = _Builder(source)
    source.data = builder.build(node, ())
    return source


class _Builder:
    """Turns composed nodes into plain data, recording positions and problems."""

    def __init__(self, source: Source) -> None:
        self.source = source
        self.constructor = SafeConstructor()
        self.nodes = 0

    def problem(self, node: yaml.Node, message: str) -> None:
        mark = node.start_mark
        self.source.problems.append((Position(mark.line + 1, mark.column + 1), message))

    def build(self, node: yaml.Node, path: Path) -> Any:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            if self.nodes == MAX_NODES + 1:
                self.problem(node, f"the document is too large (over {MAX_NODES} values after aliases)")
            return None
        if len(path) > MAX_DEPTH:
            self.problem(node, f"the document is nested too deeply (over {MAX_DEPTH} levels)")
            return None
        self.source._values.setdefault(path, (node.start_mark.index, node.end_mark.index))
        if isinstance(node, yaml.MappingNode):
            return self.mapping(node, path)
        if isinstance(node, yaml.SequenceNode):
            self.check_tag(node, "tag:yaml.org,2002:seq")
            return [self.build(item, (*path, index)) for index, item in enumerate(node.value)]
        return self.scalar(node)

    def check_tag(self, node: yaml.Node, expected: str) -> None:
        if node.tag != expected:
            self.problem(node, f"YAML tag {node.tag!r} is not allowed here")

    def mapping(self, node: yaml.MappingNode, path: Path) -> dict[str, Any]:
        self.check_tag(node, "tag:yaml.org,2002:map")
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                self.problem(key_node, "a key must be plain text, not a list or a mapping")
                continue
            key = key_node.value
            if key in result:
                first = self.source.key_position((*path, key))
                self.problem(key_node, f"duplicate key '{key}' (first written on line {first.line})")
                continue
            self.source._keys[(*path, key)] = key_node.start_mark.index
            result[key] = self.build(value_node, (*path, key))
        return result

    def scalar(self, node: yaml.Node) -> Any:
        if node.tag in _PLAIN_TAGS:
            return self.constructor.construct_object(node)
        if node.tag not in _TEXT_TAGS:
            self.problem(node, f"YAML tag {node.tag!r} is not allowed")
        return str(node.value)
