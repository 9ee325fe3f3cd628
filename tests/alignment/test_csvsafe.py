"""The one guard every CSV download uses against spreadsheet formula injection, and its undo
for our own files coming back through an import."""

from __future__ import annotations

from decimal import Decimal

import pytest

from alignment.csvsafe import safe_cell, unquote_cell


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('=HYPERLINK("http://evil","x")', '\'=HYPERLINK("http://evil","x")'),
        ("=1+2", "'=1+2"),
        ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
        ("-negative idea", "'-negative idea"),
        ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1+2", "'\t=1+2"),
        ("\r=1+2", "'\r=1+2"),
        ("Plain title", "Plain title"),
        ("a=b", "a=b"),
        ("'quoted already", "'quoted already"),
        ("", ""),
        (None, ""),
        (3, "3"),
        # A plain number is no formula: negative baselines stay numbers in a spreadsheet.
        ("-5", "-5"),
        ("-2.5", "-2.5"),
        ("+7", "+7"),
        (Decimal("-1.25"), "-1.25"),
        ("-5e3", "'-5e3"),
        ("-5,0", "'-5,0"),
    ],
)
def test_safe_cell_quotes_text_a_spreadsheet_would_run(value, expected):
    assert safe_cell(value) == expected


@pytest.mark.parametrize(
    "text",
    ["=1+2", "-negative idea", "+1 for this", "@here", "Plain", "'=kept", "-5", "'"],
)
def test_unquote_cell_undoes_safe_cell(text):
    assert unquote_cell(safe_cell(text)) == text


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("'=1+2", "=1+2"),
        ("'-x", "-x"),
        ("'+x", "+x"),
        ("'@x", "@x"),
        ("''=x", "'=x"),  # only one quote comes off
        ("'hello", "'hello"),  # a quote before ordinary text is the user's own
        ("'", "'"),
        ("", ""),
    ],
)
def test_unquote_cell_removes_one_quote_before_a_formula_character_only(cell, expected):
    assert unquote_cell(cell) == expected
