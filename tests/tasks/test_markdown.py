from __future__ import annotations

import pytest

from tasks.markdown import render_markdown


def test_markdown_is_rendered():
    assert render_markdown("**bold** and `code`") == (
        "<p><strong>bold</strong> and <code>code</code></p>"
    )


@pytest.mark.parametrize(
    "source",
    [
        "<script>alert(1)</script>",
        "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
        "<img src=x onerror=alert(1)>",
        '<a href="#" onclick="alert(1)">x</a>',
        "[click](javascript:alert(1))",
        '<a href="JaVaScRiPt:alert(1)">x</a>',
        '<iframe src="https://evil.example"></iframe>',
        "<style>body{display:none}</style>",
        '<p style="background:url(javascript:alert(1))">x</p>',
    ],
)
def test_no_script_event_handler_or_javascript_url_survives(source):
    html = render_markdown(source).lower()
    for dangerous in (
        "<script",
        "onerror",
        "onclick",
        "javascript:",
        "<iframe",
        "<style",
        "style=",
    ):
        assert dangerous not in html


def test_links_keep_http_urls_and_get_a_safe_rel():
    assert render_markdown("[docs](https://example.com)") == (
        '<p><a href="https://example.com" rel="noopener noreferrer nofollow">docs</a></p>'
    )


def test_blank_text_renders_nothing():
    assert render_markdown("   \n") == ""
