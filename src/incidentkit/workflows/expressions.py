"""CEL expressions inside ``{{ }}``: compiled when a workflow loads, evaluated against plain data.

The language is Google's Common Expression Language, through the ``common-expression-language``
package (module ``cel``, a Rust extension). It was chosen over ``cel-python`` by measurement
(``bench/cel_packages.py``, both measured in the same run): compiling the condition
``$trigger.incident_io.severity == 'SEV-1'`` took about 20-30 µs against 240 µs, and evaluating it
about 17-26 µs against 290-310 µs (cel-python converting the data with ``json_to_cel``, as an
engine must for each event), so 8-14x faster to compile and 12-18x faster to evaluate. Every
expression is compiled when a workflow loads and conditions run for every event, so both
matter. Its import is heavier (about 280 ms against 170 ms, as it pulls its own CLI's
dependencies), so it is imported on first use only, never by ``incidentkit --help``.

Top-level variables are written ``$trigger``, ``$steps``, ``$vars``, ``$workflow``, ``$item`` and
``$index``. ``$`` is not legal in a CEL identifier, so outside string literals ``$name`` becomes
``_name`` (same length, so CEL's error columns still point into the text as written).

Rendering is one pass: a value that is exactly one ``{{ … }}`` keeps the expression's type; text
around expressions makes a string. Results are never parsed again, so event data containing
``{{ }}`` stays as written. Nothing here evaluates Python.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from incidentkit.workflows.errors import ExpressionError, MissingFieldError

if TYPE_CHECKING:
    import cel

VARIABLES = ("trigger", "steps", "vars", "workflow", "item", "index")
"""The names a workflow may write as ``$name``."""

MAX_EXPRESSION_LENGTH = 4096
MAX_RENDERED_LENGTH = 1_000_000

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_ERROR_POSITION = re.compile(r"<input>:(\d+):(\d+): (.*)")
# Macros that bind a variable of their own, such as ``list.map(item, item.name)``.
_BINDING_MACRO = re.compile(
    r"\.\s*(?:map|filter|all|exists|exists_one|existsOne|transformList|transformMap|bind)\s*\(\s*"
    r"([A-Za-z_][A-Za-z0-9_]*)\s*,"
)


@dataclass(frozen=True)
class Expression:
    """One compiled CEL expression.

    Attributes:
        source: The expression as written (with ``$`` names), without the braces.
        variables: The ``$`` names it refers to (``trigger``, ``steps``, ...).
    """

    source: str
    variables: frozenset[str]
    program: cel.Program

    def evaluate(self, scope: Mapping[str, Any]) -> Any:
        """The expression's value with ``scope`` naming the ``$`` variables (keys without ``$``).

        Raises:
            MissingFieldError: a referenced field is missing.
            ExpressionError: an operation does not apply.
        """
        context = {f"_{name}": value for name, value in scope.items() if name in VARIABLES}
        try:
            return self.program.execute(context)
        except KeyError as error:
            raise MissingFieldError(
                f"{{{{ {self.source} }}}}: {_missing(self.source, scope, str(error.args[0]))}",
                source=self.source,
            ) from None
        except Exception as error:  # the extension raises ValueError, TypeError, RuntimeError...
            message = str(error).split(". ", 1)[0]
            raise ExpressionError(f"{{{{ {self.source} }}}}: {message}", source=self.source) from None


_PATH = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)((?:\.[A-Za-z_][A-Za-z0-9_]*)*)")


def _missing(source: str, scope: Mapping[str, Any], key: str) -> str:
    """Say which object lacks ``key`` and which fields it has, so a typo is fixed at a glance."""
    for match in _PATH.finditer(source):
        names = [match.group(1), *[part for part in match.group(2).split(".") if part]]
        value: Any = scope
        walked: list[str] = []
        for name in names:
            if not isinstance(value, Mapping):
                break
            if name not in value:
                if name != key:
                    break
                where = "$" + ".".join(walked) if walked else "the data"
                fields = ", ".join(sorted(str(k) for k in value)) or "none"
                return f"no field {key!r} in {where}; its fields: {fields}"
            value = value[name]
            walked.append(name)
    return f"no field {key!r} in the data"


@dataclass(frozen=True)
class Template:
    """A string with zero or more ``{{ … }}`` parts, ready to render.

    Attributes:
        source: The text as written.
        parts: Literal text and compiled expressions, in order.
    """

    source: str
    parts: tuple[str | Expression, ...]

    @property
    def expressions(self) -> tuple[Expression, ...]:
        """The compiled expressions in this template."""
        return tuple(part for part in self.parts if isinstance(part, Expression))

    def render(self, scope: Mapping[str, Any]) -> Any:
        """The value: the expression's own type when the text is exactly one ``{{ }}``, else a string.

        Raises:
            ExpressionError: an expression failed, or the result is too large.
        """
        if len(self.parts) == 1 and isinstance(self.parts[0], Expression):
            return self.parts[0].evaluate(scope)
        pieces = [part if isinstance(part, str) else to_text(part.evaluate(scope)) for part in self.parts]
        text = "".join(pieces)
        if len(text) > MAX_RENDERED_LENGTH:
            raise ExpressionError(
                f"rendered text is {len(text)} characters, over the limit of {MAX_RENDERED_LENGTH}",
                source=self.source,
            )
        return text


def to_text(value: Any) -> str:
    """How a value reads inside text: strings as they are, JSON spelling for everything else."""
    if isinstance(value, str):
        return value
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return json.dumps(value, ensure_ascii=False, default=str)


def is_template(value: object) -> bool:
    """Whether a YAML value holds ``{{`` and so must be compiled."""
    return isinstance(value, str) and "{{" in value


@lru_cache(maxsize=4096)
def compile_template(text: str) -> Template:
    """Split ``text`` into literal parts and compiled ``{{ }}`` expressions.

    Raises:
        ExpressionError: an unclosed ``{{``, an empty one, or a CEL syntax error; ``column`` is
            the 1-based position in ``text``.
    """
    parts: list[str | Expression] = []
    position = 0
    while True:
        start = text.find("{{", position)
        if start < 0:
            if position < len(text):
                parts.append(text[position:])
            break
        if start > position:
            parts.append(text[position:start])
        end = _closing_braces(text, start + 2)
        if end < 0:
            raise ExpressionError("'{{' is never closed by '}}'", source=text, column=start + 1)
        inner = text[start + 2 : end]
        if not inner.strip():
            raise ExpressionError("'{{ }}' holds no expression", source=text, column=start + 1)
        try:
            parts.append(compile_expression(inner.strip()))
        except ExpressionError as error:
            offset = start + 2 + (len(inner) - len(inner.lstrip()))
            raise ExpressionError(str(error), source=text, column=offset + max(error.column, 1)) from None
        position = end + 2
    return Template(text, tuple(parts))


def compile_condition(text: str) -> Expression:
    """A condition: either exactly one ``{{ … }}`` or a bare CEL expression.

    Raises:
        ExpressionError: text around the ``{{ }}``, or a CEL syntax error.
    """
    if "{{" not in text:
        return compile_expression(text.strip())
    template = compile_template(text)
    if len(template.parts) != 1 or not isinstance(template.parts[0], Expression):
        stripped = text.strip()
        if stripped != text and stripped:
            return compile_condition(stripped)
        raise ExpressionError(
            "a condition must be one expression: write '{{ a == b }}', with no text around it",
            source=text,
            column=1,
        )
    return template.parts[0]


@lru_cache(maxsize=4096)
def compile_expression(source: str) -> Expression:
    """Compile one CEL expression written with ``$`` names.

    Raises:
        ExpressionError: a syntax error, an unknown ``$`` name, a bare ``trigger`` (meaning
            ``$trigger``) or an over-long expression; ``column`` is 1-based in ``source``.
    """
    import cel

    if len(source) > MAX_EXPRESSION_LENGTH:
        raise ExpressionError(
            f"expression is {len(source)} characters, over the limit of {MAX_EXPRESSION_LENGTH}",
            source=source,
            column=1,
        )
    rewritten, names = _rewrite_dollar_names(source)
    try:
        program = cel.compile(rewritten)
    except ValueError as error:
        line, column, message = _first_cel_error(str(error))
        column = column + sum(len(row) + 1 for row in rewritten.split("\n")[: line - 1])
        raise ExpressionError(
            f"invalid expression {{{{ {source} }}}}: {message}", source=source, column=column
        ) from None
    bound = {
        match.group(1)
        for start, end in _code_spans(rewritten)
        for match in _BINDING_MACRO.finditer(rewritten, start, end)
    }
    for name in program.variables():
        if name in VARIABLES and name not in bound:
            raise ExpressionError(
                f"unknown name '{name}' in {{{{ {source} }}}}: write '${name}'",
                source=source,
                column=_find_identifier(rewritten, name) + 1,
            )
    return Expression(source, frozenset(names), program)


def _first_cel_error(text: str) -> tuple[int, int, str]:
    """Line, column and message of the first error in the extension's parse failure text."""
    match = _ERROR_POSITION.search(text)
    if not match:
        return 1, 1, text
    message = match.group(3).removeprefix("Syntax error: ")
    return int(match.group(1)), int(match.group(2)), message


def _find_identifier(source: str, name: str) -> int:
    """0-based position of identifier ``name`` in ``source`` outside string literals, or 0."""
    for start, end in _code_spans(source):
        for match in _IDENTIFIER.finditer(source, start, end):
            if match.group() == name and (match.start() == 0 or source[match.start() - 1] != "."):
                return match.start()
    return 0


def _rewrite_dollar_names(source: str) -> tuple[str, set[str]]:
    """Replace ``$name`` by ``_name`` outside string literals; return the text and the names used."""
    pieces: list[str] = []
    names: set[str] = set()
    position = 0
    for start, end in _code_spans(source):
        pieces.append(source[position:start])
        code = source[start:end]
        index = code.find("$")
        while index >= 0:
            match = _IDENTIFIER.match(code, index + 1)
            name = match.group() if match else ""
            if name not in VARIABLES:
                known = ", ".join(f"${v}" for v in VARIABLES)
                shown = f"${name}" if name else "'$'"
                raise ExpressionError(
                    f"unknown variable {shown} in {{{{ {source} }}}}: the variables are {known}",
                    source=source,
                    column=start + index + 1,
                )
            names.add(name)
            code = code[:index] + "_" + code[index + 1 :]
            index = code.find("$", index + 1)
        pieces.append(code)
        position = end
    pieces.append(source[position:])
    return "".join(pieces), names


def _code_spans(source: str) -> list[tuple[int, int]]:
    """The (start, end) spans of ``source`` that are outside string literals."""
    spans: list[tuple[int, int]] = []
    position = 0
    code_start = 0
    length = len(source)
    while position < length:
        char = source[position]
        if char not in "'\"":
            position += 1
            continue
        raw = position > 0 and source[position - 1] in "rR"
        spans.append((code_start, position))
        quote = source[position : position + 3] if source[position : position + 3] == char * 3 else char
        position += len(quote)
        while position < length and not source.startswith(quote, position):
            if source[position] == "\\" and not raw:
                position += 1
            position += 1
        position += len(quote)
        code_start = min(position, length)
    if code_start < length:
        spans.append((code_start, length))
    return spans


def _closing_braces(text: str, position: int) -> int:
    """Index of the ``}}`` closing a ``{{`` whose content starts at ``position``, or -1.

    Braces of CEL map literals and braces inside string literals do not close it.
    """
    depth = 0
    quote = ""
    length = len(text)
    while position < length:
        char = text[position]
        if quote:
            if char == "\\":
                position += 2
                continue
            if text.startswith(quote, position):
                position += len(quote)
                quote = ""
                continue
        elif char in "'\"":
            quote = text[position : position + 3] if text[position : position + 3] == char * 3 else char
            position += len(quote)
            continue
        elif char == "{":
            depth += 1
        elif char == "}":
            if depth == 0 and text.startswith("}}", position):
                return position
            depth = max(depth - 1, 0)
        position += 1
    return -1
