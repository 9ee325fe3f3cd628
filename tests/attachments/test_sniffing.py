from __future__ import annotations

import pytest

from attachments.sniffing import clean_name, sniff
from tests.factories.attachments import EXE_BYTES, png_bytes

GIF = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x01\x00\x00\x00\x00,"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 40
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 40
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n"


@pytest.mark.parametrize(
    ("head", "name", "expected"),
    [
        (png_bytes(), "shot.png", "image/png"),
        (GIF, "anim.gif", "image/gif"),
        (JPEG, "photo.jpeg", "image/jpeg"),
        (WEBP, "photo.webp", "image/webp"),
        (PDF, "spec.pdf", "application/pdf"),
        (b"just some notes\n", "notes.txt", "text/plain"),
        ("naïve café ☕\n".encode(), "notes.md", "text/plain"),
        (
            b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"></svg>',
            "a.svg",
            "image/svg+xml",
        ),
        (b"<!DOCTYPE html><html><script>alert(1)</script>", "page.html", "text/html"),
        (b"\x00\x01\x02\x03binary", "blob.bin", "application/octet-stream"),
    ],
)
def test_the_type_comes_from_the_bytes(head, name, expected):
    result = sniff(head, name)
    assert (result.content_type, result.refusal) == (expected, "")


def test_the_client_name_does_not_change_the_sniffed_type():
    assert sniff(PDF, "innocent.txt").content_type == "application/pdf"


def test_a_program_renamed_png_is_refused():
    result = sniff(EXE_BYTES, "cute-cat.png")
    assert result.content_type == "application/x-msdownload"
    assert result.refusal == "programs cannot be attached."


def test_a_text_file_named_png_is_refused_as_not_an_image():
    result = sniff(b"hello", "fake.png")
    assert "the name says PNG image, but the content is text/plain" in result.refusal


def test_an_svg_named_png_is_refused():
    result = sniff(b"<svg onload=alert(1)></svg>", "logo.png")
    assert result.content_type == "image/svg+xml"
    assert result.refusal


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\me\\report.pdf", "report.pdf"),
        ("bad\x00name\n.txt", "badname.txt"),
        ("", "file"),
        ("...", "file"),
        ("a" * 300 + ".png", "a" * 251 + ".png"),
    ],
)
def test_names_lose_paths_and_control_characters(raw, clean):
    assert clean_name(raw) == clean
