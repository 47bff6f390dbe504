"""compare.workers: the pools' orders (the stores they feed are compared in test_pipeline.py)."""

from __future__ import annotations

import time

import pytest

from compare.workers import imap, imap_unordered


def nap(seconds: float) -> float:
    time.sleep(seconds)
    return seconds


def test_imap_unordered_returns_each_item_as_it_is_done():
    """A long first item holds back none of the short ones behind it, in input order it would."""
    items = [2.0] + [0.01] * 6
    assert list(imap(nap, items, 2)) == items
    done = list(imap_unordered(nap, items, 2))
    assert sorted(done) == sorted(items) and done[-1] == 2.0


def test_imap_unordered_in_one_process_keeps_input_order_and_raises():
    assert list(imap_unordered(abs, [-3, 1, -2], 1)) == [3, 1, 2]
    with pytest.raises(TypeError):
        list(imap_unordered(abs, [-1, "x", 2], 2))
