from __future__ import annotations

import pytest

from tasks.markdown import render_markdown


def test_an_attachment_image_renders_as_an_image():
    html = render_markdown("![shot.png](/w/acme-inc/attachments/12/)")
    assert html == '<p><img alt="shot.png" src="/w/acme-inc/attachments/12/"></p>'


@pytest.mark.parametrize(
    "source",
    [
        "https://tracker.example/pixel.png",
        "javascript:alert(1)",
        "/w/acme-inc/attachments/12/../../settings/",
        "//evil.example/w/a/attachments/1/",
        "data:image/png;base64,AAAA",
    ],
)
def test_images_from_anywhere_else_lose_their_source(source):
    assert "src=" not in render_markdown(f"![x]({source})")
