"""A document's text as HTML (the page's preview, the HTML export) and as a file name."""

from __future__ import annotations

import re

from django.utils.html import escape

from tasks.markdown import render_markdown


def to_html_fragment(text: str) -> str:
    """Sanitized HTML of the Markdown body (tasks.markdown: nh3 allow-list)."""
    return render_markdown(text)


def to_html_page(title: str, text: str) -> str:
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title></head>\n<body>\n<h1>{escape(title)}</h1>\n"
        f"{to_html_fragment(text)}\n</body></html>\n"
    )


def filename(title: str) -> str:
    """A safe file name from the title (letters, digits, dashes)."""
    return re.sub(r"[^A-Za-z0-9]+", "-", title).strip("-")[:80] or "document"
