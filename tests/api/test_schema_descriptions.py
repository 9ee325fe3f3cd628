"""Every operation of the OpenAPI schema is described for API users (issue #21).

A description comes from `extend_schema(description=...)` or the docstring of the method that
serves the operation (alignment.api_schema.AutoSchema); a view class's docstring is written for
developers and must never be what a user reads.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from typing import Any

import pytest
from drf_spectacular.generators import SchemaGenerator


@pytest.fixture(scope="module")
def operations() -> list[tuple[str, dict[str, Any], type]]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    generator = SchemaGenerator()
    generator._initialise_endpoints()
    found = []
    for path, _regex, method, callback in generator.endpoints:
        operation = schema["paths"].get(path, {}).get(method.lower())
        if operation is not None:
            view = generator.create_view(callback, method)
            found.append((operation["operationId"], operation, type(view)))
    return found


def class_docstrings(view_class: type) -> Iterator[str]:
    """The docstrings of the view class and every class it inherits from."""
    for klass in view_class.__mro__:
        doc = inspect.getdoc(klass) if "__doc__" in vars(klass) else None
        if doc:
            yield doc.strip()


def test_the_operations_are_found(operations):
    names = {name for name, _operation, _view in operations}
    # One of each kind of operation: a viewset's own, an @action and a plain APIView method.
    assert {
        "v1_workspaces_tasks_list",
        "v1_workspaces_tasks_transition_create",
        "v1_workspaces_dashboard_layouts_leader_update",
    } <= names


def test_every_operation_has_a_description(operations):
    missing = sorted(
        name
        for name, operation, _view in operations
        if not (operation.get("description") or "").strip()
    )
    assert missing == [], "describe these operations for API users (extend_schema(description=))"


def test_no_description_is_a_view_class_docstring(operations):
    internal = sorted(
        name
        for name, operation, view in operations
        if (operation.get("description") or "").strip() in set(class_docstrings(view))
    )
    assert internal == []
