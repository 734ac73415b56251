"""Weighted draws that stay cheap when repeated a million times."""

from __future__ import annotations


def weighted(pairs: tuple[tuple[str, int], ...]) -> tuple[tuple[str, ...], tuple[int, ...]]:
    """(values, weights) for random.choices from ((value, weight), ...)."""
    values, weights = zip(*pairs, strict=True)
    return values, weights


def lookup_table(pairs: tuple[tuple[str, int], ...]) -> list[str]:
    """100 entries, each value repeated by its weight (weights sum to 100): one index per draw.

    random.choices rebuilds its cumulative weights on every call; indexing this table with
    int(random() * 100) does the same draw at a fraction of the cost.
    """
    table = [value for value, weight in pairs for _ in range(weight)]
    if len(table) != 100:
        raise ValueError(f"weights must sum to 100: {pairs}")
    return table
