"""The base of every model serializer: DRF's, with its fields built once per class.

DRF's `ModelSerializer` rebuilds its fields from the model on every instantiation (model
introspection, field kwargs, validators), which was a fifth of an authenticated API GET's CPU
(issue #15: ≈ 0.14 ms for a team, 0.39 ms for a task, on every request). The fields depend on
the class only (its Meta, its declared fields), so the first instance builds them and every
instance gets a deep copy, as DRF already does with declared fields: each request still binds
its own field objects.

A subclass whose fields depend on the instance or its context must not use this cache; none
does today (ruff's banned-api rule sends everyone here, `tests/api/test_serializer_fields.py`
checks the copies).
"""

from __future__ import annotations

import copy
from typing import Any

from rest_framework import serializers

_TEMPLATES: dict[type, dict[str, Any]] = {}


class ModelSerializer(serializers.ModelSerializer):  # noqa: TID251 - the one subclass
    def get_fields(self) -> dict[str, Any]:
        template = _TEMPLATES.get(type(self))
        if template is None:
            # Two threads may both build it the first time: the same fields, either one kept.
            template = _TEMPLATES[type(self)] = super().get_fields()
        return copy.deepcopy(template)
