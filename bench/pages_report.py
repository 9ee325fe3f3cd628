"""The report of `bench.pages`: its section of bench/RESULTS.md and its key of results.json."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bench.pages_data import API_PAGE, SUBTASKS

HERE = Path(__file__).resolve().parent


def markdown(out: dict[str, Any]) -> str:
    stories, backlog = out["sizes"]["stories"], out["sizes"]["backlog"]
    res = out["results"]
    label = {
        "board_first": ("sprint board, first response", "stories"),
        "board_whole": ("sprint board, whole (every column loaded)", "stories"),
        "board_expanded": ("sprint board, widest column whole in one response", "stories"),
        "task_api_sprint": (f"task API, every page of {API_PAGE} of the sprint", "stories"),
        "team_dashboard": ("team dashboard page", "stories"),
        "team_metrics_api": ("team metrics API (burndown, statistics)", "stories"),
        "backlog_first": ("backlog page, first page", "backlog"),
        "backlog_api_first": ("backlog API, first page", "backlog"),
        "trivial_get": ("authenticated trivial GET (teams / labels)", None),
    }
    lines = [
        f"{SECTION} (`python -m bench.pages`)",
        "",
        f"Run {out['run_at']} ({out['mode']}), load average {out['load_average']}. Sizes: "
        f"sprints of {stories[0]} / {stories[1]} stories with {SUBTASKS} sub-tasks each "
        f"({stories[0] * 4:,} / {stories[1] * 4:,} tasks), backlogs of {backlog[0]:,} / "
        f"{backlog[1]:,}. Median / p90 in ms over {out['rounds']} warm requests, queries exact.",
        "",
        "| work | small: ms (p90) / CPU ms (p90) / queries | large: ms (p90) / CPU ms (p90) "
        "/ queries |",
        "|---|---|---|",
    ]
    for name, (text, _) in label.items():
        cells = []
        for size in ("small", "large"):
            r = res[name][size]
            extra = ""
            if "bytes" in r:
                extra = f", {r['bytes'] / 1000:.0f} KB"
            if "requests" in r:
                extra = f", {r['cards']} cards in {r['requests']} requests"
            elif "cards" in r:
                extra += f", {r['cards']} cards"
            cpu = f"{r['cpu_ms']} ({r['cpu_p90_ms']})" if "cpu_ms" in r else "—"
            cells.append(f"{r['ms']} ({r['p90_ms']}) / {cpu} / {r['queries']}{extra}")
        lines.append(f"| {text} | {cells[0]} | {cells[1]} |")
    per = out["per"]
    lines += [
        "",
        f"- Server time per card (one response with the widest column whole − the first "
        f"response, ÷ the extra cards, large sprint): **{per['card_us']} µs** wall, "
        f"**{per['card_cpu_us']} µs** CPU (target ≤ 40 µs); CPU per card between the two "
        f"sizes (widest column whole, large − small, ÷ the extra cards): "
        f"**{per['card_cpu_us_sizes']} µs**.",
        f"- Serialization per task (task API, large − small, ÷ tasks): "
        f"**{per['task_serialize_ms']} ms** wall, **{per['task_serialize_cpu_ms']} ms** CPU "
        "(target ≤ 0.2 ms).",
        f"- Authenticated trivial GET: **{res['trivial_get']['small']['ms']} ms** wall, "
        f"**{res['trivial_get']['small']['cpu_ms']} ms** CPU (target ≤ 2 ms; CPU leaves out "
        "the waits on PostgreSQL and Redis).",
        f"- Backlog first page at {backlog[1]:,} ÷ at {backlog[0]:,}: "
        f"**{per['backlog_first_large_over_small']}×** (flat: ≤ 1.5×).",
        "",
        "Ratios against the **recorded** peer figures of `shared/benchmarks/peers.md` (peer "
        "median ÷ ours; not a side-by-side run):",
        "",
    ]
    for work, peers in out["ratios"].items():
        lines.append(
            f"- {work.replace('_', ' ')}: "
            + ", ".join(f"{peer} {ratio}×" for peer, ratio in peers.items())
        )
    if "interleaved" in out:
        lines += [
            "",
            "Side by side with main (the commit this branch started from), both under gunicorn "
            "(one sync worker, DEBUG on) on this database, requests alternated: median ms of "
            "main / ours and main ÷ ours; then ratios against the peers = the recorded "
            "peer ÷ main ratio of peers.md × (main ÷ ours) measured here:",
            "",
            "| work | small: main / ours (×) | large: main / ours (×) |",
            "|---|---|---|",
        ]
        for name, sizes in out["interleaved"].items():
            cells = [
                f"{sizes[s]['main_ms']} / {sizes[s]['ours_ms']} ({sizes[s]['speedup']}×)"
                if s in sizes
                else "—"
                for s in ("small", "large")
            ]
            lines.append(f"| {label[name][0]} | {cells[0]} | {cells[1]} |")
        lines += [""]
        for work, peers in out["peer_ratios"].items():
            lines.append(
                f"- {work}: " + ", ".join(f"{peer} {ratio}×" for peer, ratio in peers.items())
            )
    lines += ["", "Checks:", ""]
    lines += [
        f"- {'✅ pass' if ok else '❌ fail'}: {name.replace('_', ' ')}"
        for name, ok in out["checks"].items()
    ]
    lines += [
        "",
        f"Plan of the {backlog[1]:,}-task backlog's first page:",
        "",
        "```",
        out["backlog_plan"],
        "```",
        "",
    ]
    return "\n".join(lines)


SECTION = "## Pages and API"


def save(out: dict[str, Any], text: str) -> None:
    """Into results.json (key `pages_and_api`) and RESULTS.md (its own section, replaced):
    the rollup run (bench.run) keeps both when it rewrites the files."""
    save_section("pages_and_api", out, SECTION, text)


def save_section(key: str, out: dict[str, Any], heading: str, text: str) -> None:
    """`out` as results.json's `key`, and `text` as the RESULTS.md section that starts with
    `heading` (replaced where it is, else appended); every other key and section is kept."""
    path = HERE / "results.json"
    results = json.loads(path.read_text()) if path.exists() else {}
    results[key] = out
    path.write_text(json.dumps(results, indent=2) + "\n")
    md = HERE / "RESULTS.md"
    old = md.read_text() if md.exists() else ""
    before, found, rest = old.partition(heading)
    # The sections after this one are other runs': keep them.
    after = ("\n## " + rest.split("\n## ", 1)[1]) if found and "\n## " in rest else ""
    head = before.rstrip() + "\n\n" if before.strip() else ""
    md.write_text(head + text.rstrip() + "\n" + after if after else head + text)
