"""The BPMN coverage counter on a small real model: exclusive, parallel and event-based gateways, a boundary timer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from SpiffWorkflow.bpmn import BpmnWorkflow

from workflows import Engine
from workflows.coverage import BpmnCoverage
from workflows.registry import ParsedModel, parse_model

MODEL = Path(__file__).parent / "models" / "coverage_demo.bpmn"
NOW = datetime(2026, 1, 5, 9, tzinfo=UTC)
ENGINE = Engine()


@pytest.fixture
def model() -> ParsedModel:
    return parse_model("coverage_demo", {MODEL.name: MODEL.read_bytes()})


@pytest.fixture
def coverage() -> BpmnCoverage:
    counter = BpmnCoverage()
    counter.enabled = True
    return counter


def _start(model: ParsedModel, coverage: BpmnCoverage, way: str) -> BpmnWorkflow:
    wf, result = ENGINE.start(model, {"way": way}, NOW)
    assert result.error is None
    coverage.observe(wf)
    return wf


def _complete_review(model: ParsedModel, coverage: BpmnCoverage, wf: BpmnWorkflow) -> None:
    [review] = ENGINE.ready_user_tasks(wf, model)
    assert ENGINE.complete(wf, review.task_id, {}, NOW).error is None
    coverage.observe(wf)


def _missed(coverage: BpmnCoverage) -> set[str]:
    return {flow.flow_id for flow in coverage.report([MODEL]).missed_flows}


def test_one_exclusive_branch_counts_only_that_flow(model: ParsedModel, coverage: BpmnCoverage) -> None:
    _start(model, coverage, "a")
    report = coverage.report([MODEL])
    assert (report.flows_taken, report.flows_total) == (1, 8)
    assert _missed(coverage) == {"f_b", "f_c", "f_p1", "f_p2", "f_joined", "f_timer", "f_go"}
    assert "which_way" not in report.missed_nodes["coverage_demo"]  # the gateway ran; its other flows did not
    assert str(next(f for f in report.missed_flows if f.flow_id == "f_c")) == "f_c (Which way? -> Review)"


def test_armed_event_branches_do_not_count_until_one_fires(model: ParsedModel, coverage: BpmnCoverage) -> None:
    wf = _start(model, coverage, "b")
    assert {"f_timer", "f_go"} <= _missed(coverage)  # both catch events wait: armed, not taken
    assert {"f_b", "f_p1", "f_p2", "f_joined"}.isdisjoint(_missed(coverage))
    assert "timed_out" in coverage.report([MODEL]).missed_nodes["coverage_demo"]

    ENGINE.send_message(wf, "go", {}, NOW)
    coverage.observe(wf)
    assert "f_go" not in _missed(coverage) and "f_timer" in _missed(coverage)
    assert "review_late" in coverage.report([MODEL]).missed_nodes["coverage_demo"]  # boundary timer armed only

    assert ENGINE.fire_due_timers(wf, NOW + timedelta(days=3)).error is None
    coverage.observe(wf)
    assert "review_late" not in coverage.report([MODEL]).missed_nodes["coverage_demo"]


def test_every_path_gives_full_coverage(model: ParsedModel, coverage: BpmnCoverage) -> None:
    _start(model, coverage, "a")
    timed_out = _start(model, coverage, "b")
    assert ENGINE.fire_due_timers(timed_out, NOW + timedelta(days=8)).error is None
    coverage.observe(timed_out)
    late = _start(model, coverage, "b")
    ENGINE.send_message(late, "go", {}, NOW)
    coverage.observe(late)  # saved with the review ready: reached, even though the boundary timer cancels it
    assert ENGINE.fire_due_timers(late, NOW + timedelta(days=3)).error is None
    coverage.observe(late)
    assert coverage.report([MODEL]).missed_nodes == {"coverage_demo": ["end_reviewed"]}
    assert _missed(coverage) == {"f_c"}

    _complete_review(model, coverage, _start(model, coverage, "c"))  # into a task with a boundary event

    report = coverage.report([MODEL])
    assert report.complete, report.lines()
    assert (report.nodes_reached, report.flows_taken) == (16, 8)


def test_paused_and_other_models_count_nothing(model: ParsedModel, coverage: BpmnCoverage) -> None:
    with coverage.paused():
        _start(model, coverage, "a")
    coverage.count_only({"checksum-of-a-shipped-model"})
    wf, _ = ENGINE.start(model, {"way": "a"}, NOW)
    coverage.track(wf, model.checksum)
    coverage.observe(wf)
    report = coverage.report([MODEL])
    assert (report.nodes_reached, report.flows_taken) == (0, 0)
    coverage.count_only({model.checksum})
    coverage.observe(wf)
    assert coverage.report([MODEL]).flows_taken == 1
