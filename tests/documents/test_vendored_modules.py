"""The document page's ES modules resolve with no build step: every bare import of the page's
script and of the vendored files it reaches is in the import map, every file it names exists,
and each module has one URL (one Yjs: y-prosemirror binds the same types the page syncs)."""

from __future__ import annotations

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
STATIC = ROOT / "static"
IMPORT = re.compile(r"""(?:^|[\s;}])(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]""", re.M)
BARE_IMPORT = re.compile(r"""^import\s+['"]([^'"]+)['"]""", re.M)


def import_map() -> dict[str, Path]:
    text = (ROOT / "templates/documents/_importmap.html").read_text()
    body = text[text.index('{"imports"') : text.index("</script>")]
    body = re.sub(r"\{% static '([^']+)' %\}", r"\1", body)
    return {name: STATIC / path for name, path in json.loads(body)["imports"].items()}


def test_every_import_of_the_document_page_resolves_to_one_vendored_file() -> None:
    mapped = import_map()
    seen: set[Path] = set()
    missing: list[str] = []
    stack = [STATIC / "js/documents.js"]
    while stack:
        path = stack.pop()
        if path in seen:
            continue
        seen.add(path)
        source = path.read_text()
        for spec in IMPORT.findall(source) + BARE_IMPORT.findall(source):
            if spec.startswith("."):
                target = (path.parent / spec).resolve()
            elif spec in mapped:
                target = mapped[spec].resolve()
            else:
                missing.append(f"{spec} (imported by {path.relative_to(ROOT)})")
                continue
            if not target.is_file():
                missing.append(f"{spec} → {target} (imported by {path.relative_to(ROOT)})")
                continue
            stack.append(target)

    assert missing == []
    reached = {p.relative_to(STATIC).as_posix() for p in seen}
    assert {"vendor/yjs/yjs.mjs", "vendor/y-prosemirror/src/y-prosemirror.js"} <= reached
    # One URL per file: a file mapped twice would load (and instantiate) twice.
    targets = [path.resolve() for path in mapped.values()]
    assert len(targets) == len(set(targets))
    # Nothing mapped that nothing imports (a stale entry hides a missing update).
    assert {p for p in targets if p not in {s.resolve() for s in seen}} == set()
