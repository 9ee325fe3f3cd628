"""Write fields of an objective that say how it counts where it is aligned."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from rest_framework import serializers

PARENT_KEY_RESULT_HELP = (
    "Optional: a key result (source `children`) of the objective this one is aligned under. "
    "The objective then counts in that key result only; without one it counts directly in "
    "the parent objective, beside its key results. Setting it aligns under its objective."
)
WEIGHT_MESSAGE = "Use a weight between 0 and 9999.99 (0 keeps it aligned without counting)."


def weight_field(**kwargs: Any) -> serializers.DecimalField:
    """An objective's weight in the objective (or key result) it is aligned under."""
    return serializers.DecimalField(
        max_digits=6,
        decimal_places=2,
        min_value=Decimal(0),
        max_value=Decimal("9999.99"),
        help_text=(
            "How much this objective counts where it is aligned: its share is its weight over "
            "the total weight of the parent's key results and aligned objectives (or, through "
            "a key result, of the objectives aligned to it). 0 keeps it aligned, not counted."
        ),
        error_messages={
            "invalid": "Enter a weight as a finite number, e.g. 1 or 0.5.",
            "min_value": WEIGHT_MESSAGE,
            "max_value": WEIGHT_MESSAGE,
            "max_digits": WEIGHT_MESSAGE,
            "max_whole_digits": WEIGHT_MESSAGE,
            "max_decimal_places": "Use at most two decimals, e.g. 0.25.",
        },
        **kwargs,
    )
