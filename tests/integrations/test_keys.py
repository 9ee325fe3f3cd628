"""Finding task keys in titles, branches and commit messages."""

from __future__ import annotations

from integrations.keys import branch_name, extract_task_keys

TEAMS = ["ENG", "OPS"]


def test_keys_are_found_in_order_of_first_mention_once_each():
    texts = ["Fix login (ENG-12, OPS-3)", "eng-12-login-timeout", "Refs ENG-7 and ENG-12"]
    assert extract_task_keys(texts, TEAMS) == ["ENG-12", "OPS-3", "ENG-7"]


def test_lower_case_branch_names_give_upper_case_keys():
    assert extract_task_keys(["feature/eng-42-search"], TEAMS) == ["ENG-42"]


def test_prefixes_of_unknown_teams_are_not_keys():
    assert extract_task_keys(["Bump UTF-8 handling, SHA-256 and ABC-1"], TEAMS) == []


def test_keys_glued_to_other_characters_are_not_keys():
    assert extract_task_keys(["xENG-1 ENG-2a ENG-3.5 ENG-0"], TEAMS) == ["ENG-3"]


def test_leading_zeros_are_dropped():
    assert extract_task_keys(["ENG-007"], TEAMS) == ["ENG-7"]


def test_missing_texts_are_skipped():
    assert extract_task_keys([None, "", "OPS-9"], TEAMS) == ["OPS-9"]


def test_branch_name_is_taken_from_heads_refs_only():
    assert branch_name("refs/heads/eng-12-login") == "eng-12-login"
    assert branch_name("refs/tags/v1.0") == ""
    assert branch_name(None) == ""
