"""The weekly digest as a Slack message: Block Kit blocks within Slack's limits.

Slack refuses a message with more than 50 blocks, a section text over 3,000 characters or a
header over 150; rather than lose the message we cut each list where it would overflow and end
it with "and N more" linking to the leader dashboard. Text is mrkdwn, so `&`, `<` and `>` in
titles are escaped (Slack would otherwise read `<` as the start of a link).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from okrs import progress as okr_math

if TYPE_CHECKING:
    from integrations.digest import Digest

MAX_BLOCKS = 50
MAX_SECTION_TEXT = 3000
MAX_HEADER_TEXT = 150
STATUS_EMOJI = {
    okr_math.ON_TRACK: ":large_green_circle:",
    okr_math.AT_RISK: ":large_orange_circle:",
    okr_math.OFF_TRACK: ":red_circle:",
}


def escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def link(url: str | None, text: str) -> str:
    return f"<{url}|{escape(text)}>" if url else escape(text)


def fit(title: str, lines: list[str], *, more: int, more_url: str) -> str:
    """`title` and as many `lines` as fit in one section; the rest (plus `more` that were never
    listed) become "and N more" linking to `more_url`."""

    def tail(count: int) -> str:
        return f"\n_{link(more_url, f'and {count} more on the dashboard')}_" if count else ""

    text = f"*{title}*"
    for index, line in enumerate(lines):
        left = len(lines) - index - 1 + more
        candidate = f"{text}\n{line}"
        if len(candidate) + len(tail(left)) > MAX_SECTION_TEXT:
            return text + tail(len(lines) - index + more)
        text = candidate
    return text + tail(more)


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text[:MAX_SECTION_TEXT]}}


def _moved_lines(digest: Digest) -> list[str]:
    return [
        f"• {link(m.url, m.title)}: {m.from_percent}% → *{m.to_percent}%* "
        f"(expected {m.expected_percent}%, {m.pace_gap_text} vs pace)"
        for m in digest.moved
    ]


def _risk_lines(digest: Digest) -> list[str]:
    lines = []
    for item in digest.at_risk:
        reasons = "".join(f"\n      ◦ {escape(r)}" for r in item.reasons)
        lines.append(
            f"• {STATUS_EMOJI.get(item.status, '')} {item.kind} {link(item.url, item.title)}: "
            f"{item.percent}% vs {item.expected_percent}% expected{reasons}"
        )
    return lines


def _drift_lines(digest: Digest) -> list[str]:
    lines = []
    for item in digest.drifting:
        behind = ", ".join(link(e.url, e.label) for e in item.evidence[:4])
        lines.append(
            f"• {STATUS_EMOJI.get(item.severity, '')} {escape(item.sentence)}"
            + (f" Behind it: {behind}" if behind else "")
        )
    return lines


def _team_lines(digest: Digest) -> list[str]:
    lines = []
    for team in digest.teams:
        lines.append(
            f"• {link(team.url, team.name)}: aligned {team.alignment_text} · velocity "
            f"{team.velocity_text}{' ' + team.trend_arrow if team.trend_arrow else ''} · "
            f"cycle time p50 {team.cycle_time_text} · DORA {escape(team.dora_text)}"
        )
    return lines


def message(digest: Digest) -> dict[str, Any]:
    """The chat.postMessage body (without the channel): fallback text and blocks."""
    workspace = digest.workspace
    header = f"Weekly digest · {workspace.name}"[:MAX_HEADER_TEXT]
    when = f"Week of {digest.week_start.day} {digest.week_start:%b %Y}"
    if digest.period is not None:
        when += f" · {escape(digest.period.name)}"
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": header, "emoji": True}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": when}]},
    ]
    if digest.period is not None:
        status = okr_math.STATUS_LABELS.get(digest.status, digest.status)
        blocks.append(
            _section(
                f"{STATUS_EMOJI.get(digest.status, '')} *Company progress: {digest.percent}%* "
                f"done, {digest.expected_percent}% of the period has passed ({status}). "
                f"{link(digest.dashboard_url, 'Open the leader dashboard')}"
            )
        )
    if digest.is_quiet:
        blocks.append(
            _section(
                "*Nothing moved this week*: no objective changed, nothing is at risk or drifting."
            )
        )
    more_url = digest.dashboard_url
    if digest.moved:
        lines = _moved_lines(digest)
        blocks.append(
            _section(fit("Moved this week", lines, more=digest.more_moved, more_url=more_url))
        )
    if digest.at_risk:
        lines = _risk_lines(digest)
        blocks.append(
            _section(
                fit(
                    "At risk, and why",
                    lines,
                    more=digest.more_at_risk,
                    more_url=f"{more_url}#at-risk",
                )
            )
        )
    if digest.drifting:
        lines = _drift_lines(digest)
        blocks.append(
            _section(
                fit("Drifting", lines, more=digest.more_drifting, more_url=f"{more_url}#drift")
            )
        )
    if digest.teams:
        lines = _team_lines(digest)
        blocks.append(
            _section(fit("Teams", lines, more=digest.more_teams, more_url=f"{more_url}#teams"))
        )
    blocks.append(
        {
            "type": "context",
            "elements": [
                {
                    "type": "mrkdwn",
                    "text": "Sent every Monday by Alignment · "
                    + link(digest.preview_url, "Preview this digest"),
                }
            ],
        }
    )
    fallback = (
        f"Weekly digest for {workspace.name}: {digest.moved_count} moved, "
        f"{digest.at_risk_count} at risk, {digest.drift_count} drifting."
    )
    return {"text": fallback, "blocks": blocks[:MAX_BLOCKS], "unfurl_links": False}
