"""CEL inside ``{{ }}``: compiled up front, typed when alone, text when mixed, never re-evaluated."""

from __future__ import annotations

import pytest

from incidentkit.workflows.errors import ExpressionError, MissingFieldError
from incidentkit.workflows.expressions import compile_condition, compile_expression, compile_template

TRIGGER = {"incident_io": {"severity": "SEV-1", "title": "Checkout down", "incident_id": "01ABC", "rank": 3}}


def render(text: str, **scope: object) -> object:
    return compile_template(text).render({"trigger": TRIGGER, **scope})


def test_the_documented_condition_is_true_for_a_sev1() -> None:
    condition = compile_condition("{{ $trigger.incident_io.severity == 'SEV-1' }}")
    assert condition.evaluate({"trigger": TRIGGER}) is True
    other = {"incident_io": {**TRIGGER["incident_io"], "severity": "SEV-2"}}
    assert condition.evaluate({"trigger": other}) is False


def test_single_and_double_quoted_strings_both_work() -> None:
    assert render('{{ $trigger.incident_io.severity == "SEV-1" }}') is True
    assert render("{{ $trigger.incident_io.severity == 'SEV-1' }}") is True


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("{{ 1 + 2 }}", 3),
        ("{{ [1, 2, 3] }}", [1, 2, 3]),
        ("{{ {'a': {'b': 1}} }}", {"a": {"b": 1}}),
        ("{{ 1.5 }}", 1.5),
        ("{{ true }}", True),
        ("{{ $trigger.incident_io.rank }}", 3),
        ("  {{ $trigger.incident_io.rank }}", "  3"),
    ],
)
def test_a_lone_expression_keeps_its_type(text: str, expected: object) -> None:
    assert render(text) == expected


def test_text_around_expressions_makes_a_string() -> None:
    assert (
        render("SEV-1 Incident: {{ $trigger.incident_io.title }} ({{ 1 + 1 }})")
        == "SEV-1 Incident: Checkout down (2)"
    )
    assert render("flags: {{ [true, null] }}") == "flags: [true, null]"


def test_event_data_is_a_value_never_a_template() -> None:
    hostile = "{{ 7*7 }} ${{ $trigger }} 🚨 ünïcödé " + "x" * 10_000
    trigger = {"incident_io": {"title": hostile}}
    text = compile_template("Title: {{ $trigger.incident_io.title }}").render({"trigger": trigger})
    assert text == f"Title: {hostile}"
    assert compile_template("{{ $trigger.incident_io.title }}").render({"trigger": trigger}) == hostile


def test_braces_inside_strings_and_maps_do_not_close_the_expression() -> None:
    assert render("{{ 'a}}b' }}") == "a}}b"
    assert render("{{ {'k': 'v'}['k'] }}") == "v"


def test_dollar_inside_a_string_literal_is_text() -> None:
    assert render("{{ '$trigger' + \"$steps\" }}") == "$trigger$steps"


def test_item_and_index_are_variables() -> None:
    assert (
        compile_template("{{ $index }}: {{ $item.name }}").render({"item": {"name": "db"}, "index": 2})
        == "2: db"
    )


def test_every_documented_variable_is_accepted() -> None:
    expression = compile_expression("[$trigger, $steps, $vars, $workflow, $item, $index]")
    assert expression.variables == {"trigger", "steps", "vars", "workflow", "item", "index"}


@pytest.mark.parametrize(
    ("text", "column", "message"),
    [
        ("x {{ 1 + }} y", 9, "invalid expression {{ 1 + }}"),
        ("{{ trigger.x }}", 4, "write '$trigger'"),
        ("{{ $foo }}", 4, "unknown variable $foo"),
        ("ab {{ $trigger", 4, "never closed"),
        ("{{   }}", 1, "holds no expression"),
    ],
)
def test_compile_errors_say_what_and_where(text: str, column: int, message: str) -> None:
    with pytest.raises(ExpressionError) as caught:
        compile_template(text)
    assert message in str(caught.value)
    assert caught.value.column == column


def test_a_condition_must_be_a_single_expression() -> None:
    with pytest.raises(ExpressionError, match="one expression"):
        compile_condition("severity is {{ $trigger.incident_io.severity }}")
    assert compile_condition("$trigger.incident_io.rank > 2").evaluate({"trigger": TRIGGER}) is True


def test_a_missing_field_is_its_own_error() -> None:
    with pytest.raises(MissingFieldError, match="no field 'nope'"):
        render("{{ $trigger.incident_io.nope }}")


def test_a_type_error_is_an_expression_error() -> None:
    with pytest.raises(ExpressionError, match=r"\{\{ \$trigger.incident_io.rank \+ 'x' \}\}"):
        render("{{ $trigger.incident_io.rank + 'x' }}")


def test_overlong_expressions_are_refused() -> None:
    with pytest.raises(ExpressionError, match="over the limit"):
        compile_expression("1 + " * 2000 + "1")


def test_python_is_never_evaluated() -> None:
    with pytest.raises(ExpressionError):
        compile_template("{{ __import__('os').system('true') }}").render({})


def test_macro_variables_may_use_the_plain_names() -> None:
    trigger = {"incidents": [{"ref": "INC-1"}, {"ref": "INC-2"}]}
    expression = compile_expression("$trigger.incidents.map(item, item.ref)")
    assert expression.evaluate({"trigger": trigger}) == ["INC-1", "INC-2"]
    assert compile_expression("$trigger.incidents.exists(steps, steps.ref == 'INC-2')").evaluate(
        {"trigger": trigger}
    )
    with pytest.raises(ExpressionError, match="write '\\$item'"):
        compile_expression("$trigger.incidents.map(x, item)")


def test_a_missing_field_lists_the_fields_that_exist() -> None:
    from incidentkit.workflows.errors import MissingFieldError
    from incidentkit.workflows.expressions import compile_template

    scope = {"steps": {"get": {"incident_id": "01H", "reference": "INC-1"}}, "trigger": {}}
    with pytest.raises(
        MissingFieldError, match=r"no field 'output' in \$steps\.get; its fields: incident_id, reference"
    ):
        compile_template("{{ $steps.get.output }}").render(scope)
    with pytest.raises(MissingFieldError, match=r"no field 'gett' in \$steps; its fields: get"):
        compile_template("{{ $steps.gett.reference }}").render(scope)
