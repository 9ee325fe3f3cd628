"""The text a new document starts with, per template (Markdown, read into the rich-text body)."""

from __future__ import annotations

from documents.models import Template

STARTERS: dict[str, str] = {
    Template.BLANK: "",
    Template.PRD: (
        "# Product requirements\n\n## Problem\n\n## Goals and key results\n\n"
        "## Users and scenarios\n\n## Requirements\n\n## Out of scope\n\n## Open questions"
    ),
    Template.RFC: (
        "# RFC\n\n## Summary\n\n## Motivation\n\n## Design\n\n## Alternatives\n\n"
        "## Risks\n\n## Rollout"
    ),
    Template.OKR_REVIEW: (
        "# OKR review\n\n## Objectives and progress\n\n## What went well\n\n"
        "## What did not\n\n## Decisions for next period"
    ),
    Template.SPRINT_RETRO: ("# Sprint retro\n\n## Keep\n\n## Stop\n\n## Try\n\n## Action items"),
    Template.INCIDENT_REVIEW: (
        "# Incident review\n\n## Summary\n\n## Timeline\n\n## Impact\n\n## Root cause\n\n"
        "## What we will change"
    ),
}
