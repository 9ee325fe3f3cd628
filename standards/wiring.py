"""Everything standards plugs into the apps below it, through their explicit registries."""

from __future__ import annotations

from alignment import events


def connect() -> None:
    from dashboards import finding_sources, widgets
    from okrs.events import KeyResultChanged, KeyResultCheckedIn, ObjectiveChanged
    from standards import compliance, compliance_rows, findings
    from standards.badges import standards_card_badges
    from standards.events import GateEntriesRecorded
    from standards.gate import standards_gate
    from standards.subscribers import record_refusal
    from tasks import card_badges, gates
    from tasks.events import TaskTransitionRefused

    gates.register(standards_gate)
    card_badges.register(standards_card_badges)
    events.subscribe(TaskTransitionRefused, record_refusal, in_transaction=True)
    # Compliance in the read model: gated entries counted with the move that recorded them;
    # key result measures dropped after key results change (measured again on the next read).
    events.subscribe(GateEntriesRecorded, compliance_rows.count_entries, in_transaction=True)
    for changed in (KeyResultChanged, KeyResultCheckedIn, ObjectiveChanged):
        events.subscribe(changed, compliance_rows.on_key_results_changed)
    compliance_rows.connect()
    finding_sources.register(findings.SOURCE)
    widgets.register(
        widgets.LEADER,
        widgets.Widget(
            "standards",
            "Standards",
            "Per team and standard, the share of work that met it; waivers and slips.",
            ("standards",),
            wide=True,
            template_name="standards/_leader_widget.html",
        ),
        compliance.leader_summary,
    )
