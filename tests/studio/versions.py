"""Changed versions of the shipped referral model, published as a process owner would (services.catalogue)."""

from __future__ import annotations

from services.catalogue import BPMN_DIR, SHIPPED, publish
from services.db import db
from services.models import ProcessModel

REFERRAL = "mappa_referral"
NEW_TASK = """    <bpmn:userTask id="plan_screening" name="Plan the screening">
      <bpmn:extensionElements>
        <spiffworkflow:properties>
          <spiffworkflow:property name="formKey" value="escalation" />
          <spiffworkflow:property name="dueIn" value="2WD" />
        </spiffworkflow:properties>
      </bpmn:extensionElements>
      <bpmn:incoming>f_screen</bpmn:incoming>
      <bpmn:outgoing>f_planned</bpmn:outgoing>
    </bpmn:userTask>
"""


def shipped_files(process_id: str = REFERRAL) -> dict[str, bytes]:
    return {name: (BPMN_DIR / name).read_bytes() for name in SHIPPED[process_id][1]}


def _edited(process_id: str, *edits: tuple[str, str]) -> dict[str, bytes]:
    files = shipped_files(process_id)
    main = SHIPPED[process_id][1][0]
    xml = files[main].decode()
    for old, new in edits:
        assert old in xml, old
        xml = xml.replace(old, new)
    files[main] = xml.encode()
    return files


def renamed_and_added() -> dict[str, bytes]:
    """'Check referral is complete' renamed; a new coordinator task 'Plan the screening' before the decision."""
    return _edited(
        REFERRAL,
        ('name="Check referral is complete"', 'name="Check the referral is complete"'),
        ("<bpmn:flowNodeRef>screening_decision</bpmn:flowNodeRef>",
         "<bpmn:flowNodeRef>plan_screening</bpmn:flowNodeRef>\n        "
         "<bpmn:flowNodeRef>screening_decision</bpmn:flowNodeRef>"),
        ('    <bpmn:userTask id="screening_decision"', NEW_TASK + '    <bpmn:userTask id="screening_decision"'),
        ("<bpmn:incoming>f_screen</bpmn:incoming>\n      <bpmn:outgoing>f_decided</bpmn:outgoing>",
         "<bpmn:incoming>f_planned</bpmn:incoming>\n      <bpmn:outgoing>f_decided</bpmn:outgoing>"),
        ('<bpmn:sequenceFlow id="f_screen" sourceRef="start_screening" targetRef="screening_decision" />',
         '<bpmn:sequenceFlow id="f_screen" sourceRef="start_screening" targetRef="plan_screening" />\n    '
         '<bpmn:sequenceFlow id="f_planned" sourceRef="plan_screening" targetRef="screening_decision" />'),
    )


def review_renamed() -> dict[str, bytes]:
    """The review period's 'Level 1 review' renamed (its instances wait on a timer and a message meanwhile)."""
    return _edited("mappa_review", ('name="Level 1 review"', 'name="Lead agency review (Level 1)"'))


def check_removed() -> dict[str, bytes]:
    """No 'Check referral is complete': the referral goes straight to the completeness gateway."""
    xml = shipped_files()["referral.bpmn"].decode()
    start = xml.index('    <bpmn:userTask id="check_referral"')
    end = xml.index("</bpmn:userTask>", start) + len("</bpmn:userTask>\n")
    return _edited(
        REFERRAL,
        (xml[start:end], ""),
        ("<bpmn:flowNodeRef>check_referral</bpmn:flowNodeRef>\n", ""),
        ('<bpmn:sequenceFlow id="f_to_check" sourceRef="suggest_level" targetRef="check_referral" />',
         '<bpmn:sequenceFlow id="f_to_check" sourceRef="suggest_level" targetRef="referral_complete" />'),
        ('<bpmn:sequenceFlow id="f_checked" sourceRef="check_referral" targetRef="referral_complete" />\n', ""),
        ("<bpmn:incoming>f_checked</bpmn:incoming>", "<bpmn:incoming>f_to_check</bpmn:incoming>"),
        ('<bpmn:sequenceFlow id="f_resubmitted" sourceRef="amend_referral" targetRef="check_referral" />',
         '<bpmn:sequenceFlow id="f_resubmitted" sourceRef="amend_referral" targetRef="referral_complete" />'),
    )


def publish_version(files: dict[str, bytes], process_id: str = REFERRAL) -> ProcessModel:
    row = publish(process_id, SHIPPED[process_id][0], files, "owner")
    assert row is not None
    db.session.commit()
    return row
