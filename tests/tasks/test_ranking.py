from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tasks.ranking import RankError, is_valid_key, key_between, keys_between


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=10_000), min_size=1, max_size=120))
def test_inserting_anywhere_keeps_keys_sorted_unique_and_valid(positions):
    keys: list[str] = []
    for position in positions:
        index = position % (len(keys) + 1)
        after = keys[index - 1] if index > 0 else None
        before = keys[index] if index < len(keys) else None
        keys.insert(index, key_between(after, before))
    assert keys == sorted(keys)
    assert len(set(keys)) == len(keys)
    assert all(is_valid_key(k) for k in keys)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["start", "end"]), min_size=1, max_size=300))
def test_key_between_is_strictly_between_its_neighbours(ends):
    keys = [key_between(None, None)]
    for end in ends:
        if end == "start":
            keys.insert(0, key_between(None, keys[0]))
        else:
            keys.append(key_between(keys[-1], None))
    for low, high in zip(keys, keys[1:], strict=False):
        middle = key_between(low, high)
        assert low < middle < high


@given(st.integers(min_value=0, max_value=300))
def test_keys_between_gives_n_sorted_keys_in_the_gap(n):
    keys = keys_between("i0", "i1", n)
    assert len(keys) == n
    assert keys == sorted(set(keys))
    assert all("i0" < k < "i1" for k in keys)


def test_appending_thousands_keeps_keys_short():
    key = None
    for _ in range(5000):
        key = key_between(key, None)
    assert key is not None
    assert len(key) <= 4


def test_keys_use_only_lowercase_letters_and_digits():
    key = None
    keys = []
    for _ in range(100):
        key = key_between(None, key)
        keys.append(key)
    assert all(k.isalnum() and k == k.lower() for k in keys)


@pytest.mark.parametrize(("low", "high"), [("i5", "i5"), ("i6", "i5"), ("I0", None), ("i10", None)])
def test_crossed_equal_or_invalid_neighbours_are_refused(low, high):
    with pytest.raises(RankError):
        key_between(low, high)
