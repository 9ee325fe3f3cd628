"""Markdown to safe HTML: render with python-markdown, then sanitize with nh3 (ammonia).

Raw HTML in the source passes through markdown, so the sanitizer is what makes it safe: an
allow-list of tags and attributes, links limited to http, https and mailto, and script and
style elements dropped with their content.
"""

from __future__ import annotations

import re

import markdown as md
import nh3

ALLOWED_TAGS = {
    "a", "blockquote", "br", "code", "del", "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr",
    "li", "ol", "p", "pre", "strong", "table", "tbody", "td", "th", "thead", "tr", "ul", "img",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "th": {"align"},
    "td": {"align"},
    "img": {"src", "alt", "title"},
}
# Images only from this instance's attachments (a pasted screenshot): the download view checks
# the reader's workspace, and no outside image can track who reads a comment.
IMAGE_SOURCE = re.compile(r"^/w/[\w-]+/attachments/\d+/$")
URL_SCHEMES = {"http", "https", "mailto"}
EXTENSIONS = ["fenced_code", "tables", "sane_lists"]


def render_markdown(text: str) -> str:
    """Sanitized HTML for user-written Markdown; safe to mark safe in templates."""
    if not text or not text.strip():
        return ""
    html = md.markdown(text, extensions=EXTENSIONS, output_format="html")
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        attribute_filter=_only_attachment_images,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )


def _only_attachment_images(tag: str, attribute: str, value: str) -> str | None:
    if tag == "img" and attribute == "src" and not IMAGE_SOURCE.match(value):
        return None
    return value
