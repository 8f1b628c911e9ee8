"""Loading workflow files: the documented examples, and every kind of mistake reported with its place."""

from __future__ import annotations

from pathlib import Path

import pytest

from incidentkit.workflows.errors import Problem, WorkflowLoadError
from incidentkit.workflows.loader import check_files, load_directory, load_file, load_text
from incidentkit.workflows.schema import ConditionStep, NodeStep

FIXTURES = Path(__file__).parent / "fixtures"
EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "workflows"


def problems_of(text: str) -> list[Problem]:
    with pytest.raises(WorkflowLoadError) as caught:
        load_text(text, "wf.yaml")
    return caught.value.problems


def only(text: str) -> Problem:
    found = problems_of(text)
    assert len(found) == 1, found
    return found[0]


# --- the documented examples, as written -----------------------------------------------------------


@pytest.mark.parametrize(
    ("fixture", "step_id", "step_type"),
    [
        ("example2_acknowledge.yaml", "acknowledge", "incident_io.incident.acknowledge"),
        ("example3_list_open.yaml", "list_open", "incident_io.incident.list"),
        ("example4_log_action.yaml", "log_action", "incident_io.timeline.add_event"),
    ],
)
def test_step_fragments_load_as_manual_workflows(fixture: str, step_id: str, step_type: str) -> None:
    workflow = load_file(FIXTURES / fixture)
    assert workflow.steps_only
    assert workflow.spec.trigger.type == "manual"
    assert [(s.id, s.type) for s in workflow.spec.steps] == [(step_id, step_type)]
    assert workflow.name == fixture.removesuffix(".yaml")


def test_the_fragment_inputs_are_kept_as_written() -> None:
    step = load_file(FIXTURES / "example4_log_action.yaml").spec.steps[0]
    assert isinstance(step, NodeStep)
    assert step.inputs["eventType"] == "custom"
    assert step.inputs["description"] == (
        "Agent {{ $workflow.agent.name }} began mitigation:\n{{ $steps.agent.summary }}\n"
    )
    assert load_file(FIXTURES / "example3_list_open.yaml").spec.steps[0].inputs["limit"] == 10  # type: ignore[union-attr]


def test_the_routing_example_names_each_undefined_step_and_the_line_referring_to_it() -> None:
    with pytest.raises(WorkflowLoadError) as caught:
        load_file(FIXTURES / "example5_route_by_severity.yaml")
    found = [(p.line, p.column, p.step_id, p.message) for p in caught.value.problems]
    assert found == [
        (11, 17, "route_by_severity", "step 'notify_team' is not defined in this workflow"),
        (12, 19, "route_by_severity", "step 'create_linear_issue' is not defined in this workflow"),
        (12, 40, "route_by_severity", "step 'notify_slack' is not defined in this workflow"),
    ]
    assert "example5_route_by_severity.yaml:11:17: step 'route_by_severity':" in str(caught.value)


def test_the_routing_example_loads_once_the_missing_steps_are_added() -> None:
    original = (FIXTURES / "example5_route_by_severity.yaml").read_text()
    completed = (EXAMPLES / "severity-routing.yaml").read_text()
    assert original.strip() in completed  # the example itself is unchanged
    workflow = load_file(EXAMPLES / "severity-routing.yaml")
    router = workflow.spec.steps[0]
    assert isinstance(router, ConditionStep)
    assert router.branches() == [
        ["escalate_to_exec", "page_oncall", "dispatch_agent"],
        ["notify_team", "dispatch_agent"],
        ["create_linear_issue", "notify_slack"],
    ]


def test_the_first_example_follows_the_same_rule_for_its_undefined_step() -> None:
    problem = only((FIXTURES / "example1_check_severity.yaml").read_text())
    assert (problem.line, problem.column, problem.message) == (
        7,
        14,
        "step 'page_oncall' is not defined in this workflow",
    )
    text = (FIXTURES / "example1_check_severity.yaml").read_text() + (
        "  - id: page_oncall\n    type: slack.post\n    inputs: {channel: '#oncall', message: paged}\n"
    )
    assert [s.id for s in load_text(text).spec.steps] == ["check_severity", "page_oncall"]


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.yaml")), ids=lambda p: p.name)
def test_every_shipped_example_loads(path: Path) -> None:
    workflow = load_file(path)
    assert workflow.spec.steps and not workflow.steps_only


# --- mistakes ----------------------------------------------------------------------------------------

HEADER = "trigger:\n  type: manual\nsteps:\n"


def test_an_unknown_step_type_lists_the_known_ones() -> None:
    problem = only(HEADER + "  - id: a\n    type: slack.postt\n")
    assert (problem.line, problem.column, problem.step_id) == (5, 11, "a")
    assert "unknown step type 'slack.postt'" in problem.message
    assert "slack.post" in problem.message and "condition" in problem.message


@pytest.mark.parametrize("step_type", ["slack.post", "log"])
def test_step_level_concurrency_is_refused_with_a_pointer_to_the_workflow_level(step_type: str) -> None:
    inputs = "    inputs: {channel: x, message: y}\n" if step_type == "slack.post" else "    message: y\n"
    problem = only(
        HEADER
        + f"  - id: post\n    type: {step_type}\n"
        + inputs
        + "    concurrency: {key: '{{ $trigger.incident_io.incident_id }}'}\n"
    )
    assert (problem.line, problem.column, problem.step_id) == (7, 5, "post")
    assert "'concurrency' is not a step field" in problem.message
    assert "at the workflow level" in problem.message


def test_workflow_level_concurrency_still_loads() -> None:
    flow = load_text(
        "trigger: {type: manual}\nconcurrency: {key: '{{ $trigger.incident_io.incident_id }}', mode: skip}\n"
        "steps:\n  - {id: a, type: log, message: hi}\n"
    )
    assert flow.spec.concurrency is not None and flow.spec.concurrency.mode == "skip"


def test_an_unknown_input_names_the_step_the_input_and_the_line() -> None:
    problem = only(
        HEADER + "  - id: ack\n    type: incident_io.incident.acknowledge\n    inputs:\n"
        "      incidentId: x\n      mesage: hi\n"
    )
    assert (problem.line, problem.column, problem.step_id) == (8, 7, "ack")
    assert problem.message.startswith("unknown input 'mesage' for incident_io.incident.acknowledge")
    assert "incidentId" in problem.message and "message" in problem.message


def test_a_missing_required_input_is_reported() -> None:
    problem = only(HEADER + "  - id: post\n    type: slack.post\n    inputs: {channel: '#x'}\n")
    assert problem.message == "missing input 'message' for slack.post"
    assert problem.line == 6


def test_snake_case_input_names_are_accepted_too() -> None:
    load_text(
        HEADER + "  - id: ack\n    type: incident_io.incident.acknowledge\n    inputs: {incident_id: x}\n"
    )


def test_duplicate_step_ids_point_at_both() -> None:
    problem = only(
        HEADER + "  - id: a\n    type: log\n    message: one\n  - id: a\n    type: log\n    message: two\n"
    )
    assert (problem.line, problem.message) == (7, "duplicate step id 'a' (first on line 4)")


def test_malformed_yaml_gives_its_line() -> None:
    problem = only("trigger:\n  type: manual\nsteps:\n  - id: a\n    type: [log\n")
    assert problem.line == 6 and problem.message.startswith("invalid YAML")


def test_every_problem_is_reported_at_once() -> None:
    found = problems_of(
        "trigger:\n  type: schedule\nsteps:\n"
        "  - id: a\n    type: nope\n"
        "  - id: b\n    type: log\n    message: '{{ 1 + }}'\n"
        "  - id: c\n    type: condition\n    condition: '{{ true }}'\n"
        "    onTrue: [missing]\n    colour: red\n"
    )
    messages = [(p.line, p.step_id, p.message.split(":")[0]) for p in found]
    assert messages == [
        (2, None, "field 'trigger'"),
        (5, "a", "unknown step type 'nope'; known types"),
        (8, "b", "invalid expression {{ 1 + }}"),
        (13, "c", "unknown field 'colour'; expected one of"),
    ]


def test_expression_errors_are_placed_on_their_line_and_column() -> None:
    problem = only(HEADER + '  - id: a\n    type: log\n    message: "count: {{ size($steps) + }}"\n')
    assert (problem.line, problem.column) == (6, 39)  # just after the '+', where the text ends
    assert "invalid expression {{ size($steps) + }}" in problem.message


def test_expression_errors_in_block_text_are_placed_on_their_line() -> None:
    problem = only(
        HEADER + "  - id: a\n    type: slack.post\n    inputs:\n      channel: x\n      message: |\n"
        "        first line\n        second {{ $trigger.a ==  }}\n"
    )
    assert (problem.line, problem.column) == (10, 32)


def test_item_outside_foreach_is_an_error() -> None:
    problem = only(HEADER + "  - id: a\n    type: log\n    message: '{{ $item }}'\n")
    assert problem.message == "$item is only defined in a step with foreach:"
    text = (
        HEADER
        + "  - id: a\n    type: log\n    foreach: '{{ [1, 2] }}'\n    message: '{{ $index }}: {{ $item }}'\n"
    )
    load_text(text)


def test_goto_must_name_a_later_step() -> None:
    base = HEADER + "  - id: a\n    type: log\n    message: a\n  - id: b\n    type: log\n    message: b\n"
    assert only(base + "    on_error: goto:nowhere\n").message == (
        "on_error goes to step 'nowhere', which is not defined"
    )
    assert "must jump forward" in only(base + "    on_error: goto:a\n").message
    assert "on_error" in only(base + "    on_error: retry\n").message


def test_a_step_is_routed_by_one_condition_only_and_never_in_a_cycle() -> None:
    two_routers = HEADER + (
        "  - {id: c1, type: condition, condition: 'true', onTrue: [x]}\n"
        "  - {id: c2, type: condition, condition: 'true', onTrue: [x]}\n"
        "  - {id: x, type: log, message: x}\n"
    )
    assert only(two_routers).message == "step 'x' is already routed by condition 'c1'"
    cycle = HEADER + (
        "  - {id: c1, type: condition, condition: 'true', onTrue: [c2]}\n"
        "  - {id: c2, type: condition, condition: 'true', onTrue: [c1]}\n"
    )
    assert {p.message for p in problems_of(cycle)} == {
        "step 'c1' is routed in a cycle",
        "step 'c2' is routed in a cycle",
    }


def test_condition_shapes_are_checked() -> None:
    assert (
        "needs onTrue/onFalse or cases"
        in only(HEADER + "  - {id: c, type: condition, condition: 'true'}\n").message
    )
    both = HEADER + "  - {id: c, type: condition, condition: 'true', onTrue: [], cases: []}\n"
    assert "either onTrue/onFalse or cases" in only(both).message
    late_default = HEADER + (
        "  - id: c\n    type: condition\n    condition: '1'\n    cases:\n      - default: []\n"
        "      - {value: 1, steps: []}\n"
    )
    assert "default case must be the last" in only(late_default).message


def test_yaml_tags_are_refused_and_duplicate_keys_reported() -> None:
    found = problems_of(
        HEADER + "  - id: a\n    type: log\n    message: !!python/object:os.system ls\n    id: b\n"
    )
    assert [p.message for p in found] == [
        "YAML tag 'tag:yaml.org,2002:python/object:os.system' is not allowed",
        "duplicate key 'id' (first written on line 4)",
    ]


def test_a_billion_laughs_document_is_capped() -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 8)]
    assert any("too large" in p.message for p in problems_of("\n".join(lines) + "\n"))


@pytest.mark.parametrize(
    ("trigger", "message"),
    [
        ("{type: schedule}", "needs cron"),
        ("{type: schedule, cron: '61 * * * *'}", "cron minute '61' is outside 0-59"),
        ("{type: schedule, cron: '* * *'}", "cron needs 5 fields"),
        ("{type: trigger.incident_io.incident.deleted}", "unknown trigger"),
        ("{type: 'Not An Event'}", "unknown trigger"),
        ("{type: manual, cron: '* * * * *'}", "only applies to a schedule"),
        ("{type: public_incident.incident_created_v2, inputs: {a: string}}", "only apply to a manual"),
    ],
)
def test_bad_triggers(trigger: str, message: str) -> None:
    problem = only(f"trigger: {trigger}\nsteps:\n  - {{id: a, type: log, message: a}}\n")
    assert message in problem.message
    assert problem.line == 1


@pytest.mark.parametrize(
    "trigger",
    [
        "{type: trigger.incident_io.incident.resolved}",
        "{type: public_incident.incident_status_updated_v2}",
        "{type: 'public_incident.*'}",
        "{type: schedule, cron: '*/5 9-17 * * 1-5'}",
        "{type: manual, inputs: {reason: string, count: {type: integer, required: false, default: 1}}}",
        "{type: trigger.incident_io.incident.updated, filter: \"{{ $trigger.incident_io.field == 's' }}\"}",
    ],
)
def test_good_triggers(trigger: str) -> None:
    load_text(f"trigger: {trigger}\nsteps:\n  - {{id: a, type: log, message: a}}\n")


def test_a_bad_filter_is_placed() -> None:
    problem = only(
        "trigger:\n  type: manual\n  filter: '{{ $trigger.a == }}'\n"
        "steps:\n  - {id: a, type: log, message: a}\n"
    )
    assert problem.line == 3 and "invalid expression" in problem.message


def test_durations_and_retry_policies_are_checked() -> None:
    text = (
        HEADER
        + "  - id: a\n    type: log\n    message: a\n"
        + "    timeout: 5 minutes\n    retry: {maximum_attempts: 0}\n"
    )
    messages = sorted(p.message for p in problems_of(text))
    assert messages[0].startswith("field 'retry.maximum_attempts'")
    assert messages[1].startswith("field 'timeout': expected a duration such as 30s")


# --- versions and directories -----------------------------------------------------------------------


def test_the_version_is_the_hash_of_the_content_not_its_formatting() -> None:
    one = load_text(HEADER + "  - id: a\n    type: log\n    message: hi\n")
    two = load_text('# a comment\ntrigger: {type: manual}\nsteps: [{id: a, type: log, message: "hi"}]\n')
    three = load_text(HEADER + "  - id: a\n    type: log\n    message: hello\n")
    assert one.version == two.version
    assert one.version != three.version
    assert len(one.version) == 16


def test_load_directory_reads_yaml_and_yml_files(tmp_path: Path) -> None:
    (tmp_path / "b.yml").write_text(HEADER + "  - {id: a, type: log, message: a}\n")
    (tmp_path / "a.yaml").write_text("name: first\n" + HEADER + "  - {id: a, type: log, message: a}\n")
    (tmp_path / "notes.txt").write_text("not a workflow")
    assert [w.name for w in load_directory(tmp_path)] == ["first", "b"]


def test_load_directory_reports_every_file_and_name_clashes(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("name: same\n" + HEADER + "  - {id: a, type: log, message: a}\n")
    (tmp_path / "b.yaml").write_text("name: same\n" + HEADER + "  - {id: a, type: log, message: a}\n")
    (tmp_path / "c.yaml").write_text("trigger: [\n")
    with pytest.raises(WorkflowLoadError) as caught:
        load_directory(tmp_path)
    files = [Path(p.file).name for p in caught.value.problems]
    assert files == ["b.yaml", "c.yaml"]
    assert "workflow name 'same' is also used by" in caught.value.problems[0].message
    with pytest.raises(WorkflowLoadError, match="no such directory"):
        load_directory(tmp_path / "missing")


def test_unreadable_and_empty_files_are_problems(tmp_path: Path) -> None:
    (tmp_path / "empty.yaml").write_text("")
    loaded, problems = check_files([tmp_path / "empty.yaml", tmp_path / "missing.yaml"])
    assert loaded == []
    assert [p.message.split(":")[0] for p in problems] == ["the file is empty", "cannot read the file"]


def test_foreach_only_on_steps_that_can_repeat() -> None:
    text = HEADER + "  - {id: c, type: condition, condition: 'true', onTrue: [], foreach: '[1]'}\n"
    assert only(text).message == "foreach: is not supported on a condition step"


@pytest.mark.parametrize("text", ["[" * 5000 + "]" * 5000, "a: " + "{b: " * 60 + "1" + "}" * 60])
def test_deep_nesting_is_a_problem_not_a_crash(text: str) -> None:
    assert any("nested too deeply" in p.message for p in problems_of(text))


def test_control_characters_are_placed() -> None:
    problem = only("trigger: {type: manual}\n\x00")
    assert (problem.line, problem.column) == (2, 1)
    assert (
        problem.message == "invalid YAML: unacceptable character #x0000: special characters are not allowed"
    )


def test_a_single_step_without_a_type_is_read_as_a_step() -> None:
    problem = only("id: lonely\n")
    assert (problem.step_id, problem.message) == ("lonely", "missing field 'type'")


def test_header_and_reference_problems_are_reported_together() -> None:
    text = (
        "trigger: {type: schedule}\nconcurrency: {key: '{{ $trigger. }}'}\nsteps:\n"
        "  - {id: c, type: condition, condition: 'true', onTrue: [ghost]}\n"
    )
    assert [(p.line, p.message.split(":")[0]) for p in problems_of(text)] == [
        (1, "field 'trigger'"),
        (2, "invalid expression {{ $trigger. }}"),
        (4, "step 'ghost' is not defined in this workflow"),
    ]


def test_goto_cannot_target_a_routed_step() -> None:
    text = HEADER + (
        "  - {id: a, type: log, message: a, on_error: 'goto:t'}\n"
        "  - {id: c, type: condition, condition: 'true', onTrue: [t]}\n"
        "  - {id: t, type: log, message: t}\n"
    )
    assert only(text).message == "on_error goto cannot go to 't': a condition routes that step"


def test_every_registered_node_type_and_engine_type_is_known() -> None:
    from incidentkit.workflows.nodes import NODE_TYPES
    from incidentkit.workflows.step_types import known_step_types

    assert set(known_step_types()) == {*NODE_TYPES, "condition", "approval", "wait", "log"}
