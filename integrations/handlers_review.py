"""GitHub `pull_request_review`: an approval or a request for changes on a linked PR.

The review's outcome is noted on the PR link (`review_state`, shown on the task page); the
team's review rules (`integrations.review_rules`) say whether it also moves the task.
A plain comment or a dismissed review only updates the note.
"""

from __future__ import annotations

from typing import Any

from integrations import review_rules
from integrations.handlers import _dict, github_pr_keys, github_pr_link
from integrations.models import InboundDelivery, Provider
from integrations.registry import DeliveryIgnored, handles

GITHUB_REVIEW_RULES = {
    "approved": review_rules.APPROVED,
    "changes_requested": review_rules.CHANGES_REQUESTED,
}


@handles(Provider.GITHUB, "pull_request_review")
def github_pull_request_review(delivery: InboundDelivery, payload: Any) -> None:
    data = _dict(payload)
    review = _dict(data.get("review"))
    pr = _dict(data.get("pull_request"))
    keys = github_pr_keys(delivery, pr)
    if not keys:
        raise DeliveryIgnored("The pull request names no task.")
    action = str(data.get("action") or "")
    outcome = str(review.get("state") or "").lower()
    rule = GITHUB_REVIEW_RULES.get(outcome) if action == "submitted" else None
    # A dismissed review takes its verdict back; a comment leaves the last verdict standing.
    note = rule if rule else ("" if action == "dismissed" else None)
    github_pr_link(delivery, pr, keys, review_state=note)
    if rule:
        review_rules.apply_review(delivery=delivery, keys=keys, rule=rule)
