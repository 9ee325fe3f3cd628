"""The OpenAPI schema matches the URLconf, documents every operation, and its docs work offline."""

from __future__ import annotations

import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from drf_spectacular.generators import SchemaGenerator

ROOT = Path(__file__).resolve().parents[2]
HTTP_METHODS = ("get", "post", "put", "patch", "delete")


@pytest.fixture(scope="module")
def schema() -> dict:
    return SchemaGenerator().get_schema(request=None, public=True)


def test_the_schema_generates_without_warnings_or_errors(tmp_path):
    result = subprocess.run(
        [sys.executable, "manage.py", "spectacular", "--validate", "--fail-on-warn"]
        + ["--file", str(tmp_path / "schema.yaml")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        # Generous: on a loaded 2-core runner Django's start-up alone can take a minute.
        timeout=600,
        check=False,
    )

    assert result.returncode == 0, result.stderr


def _shape(path: str) -> str:
    """`/api/v1/workspaces/{slug}/teams/{id}/` -> `/api/v1/workspaces/{}/teams/{}/`."""
    return re.sub(r"\{[^}]+\}", "{}", path)


def _django_route_to_path(route: str) -> str:
    route = re.sub(r"\(\?P<[^>]+>[^)]*\)", "{}", route)  # router regex groups
    route = re.sub(r"<(?:[^>:]+:)?[^>]+>", "{}", route)  # path converters
    return "/" + route.replace("^", "").replace("$", "")


def api_routes() -> set[tuple[str, str]]:
    """(path shape, method) of every route under api/v1/ in the URLconf."""

    def walk(patterns, prefix=""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern))
            elif isinstance(pattern, URLPattern):
                yield prefix + str(pattern.pattern), pattern.callback

    routes = set()
    for route, callback in walk(get_resolver().url_patterns):
        path = _django_route_to_path(route)
        if not path.startswith("/api/v1/") or "format" in route:
            continue
        actions = getattr(callback, "actions", None)
        view_class = getattr(callback, "cls", None)
        if actions:
            methods = {m for m in actions if m in HTTP_METHODS}
        elif view_class is not None:
            methods = {m for m in HTTP_METHODS if hasattr(view_class, m)}
        else:
            methods = {"get"}
        routes |= {(_shape(path), m) for m in methods}
    return routes


def schema_operations(schema: dict) -> set[tuple[str, str]]:
    return {
        (_shape(path), method)
        for path, operations in schema["paths"].items()
        for method in operations
        if method in HTTP_METHODS
    }


def test_every_api_route_of_the_urlconf_is_in_the_schema(schema):
    missing = sorted(api_routes() - schema_operations(schema))

    assert missing == []


def test_the_schema_lists_no_operation_the_urlconf_lacks(schema):
    extra = sorted(schema_operations(schema) - api_routes())

    assert extra == []


def _operations(schema: dict):
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            if method in HTTP_METHODS:
                yield f"{method.upper()} {path}", operation


def test_every_operation_has_a_summary(schema):
    without = [name for name, op in _operations(schema) if not op.get("summary")]

    assert without == []


def test_every_operation_documents_a_4xx_error_body(schema):
    without = [
        name
        for name, op in _operations(schema)
        if not any(
            code.isdigit() and 400 <= int(code) < 500 and "content" in answer
            for code, answer in op.get("responses", {}).items()
        )
    ]

    assert without == []


def test_every_post_documents_the_idempotency_key_header(schema):
    without = [
        name
        for name, op in _operations(schema)
        if name.startswith("POST /api/v1/")
        and not any(p["name"] == "Idempotency-Key" for p in op.get("parameters", []))
    ]

    assert without == []


def test_the_schema_is_served_at_api_schema(client: Client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")

    assert response.status_code == 200
    assert response.json()["info"]["title"] == "Alignment API"


class _Assets(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("src", "href") and value:
                self.urls.append(value)


def test_the_docs_page_references_only_local_assets(client: Client):
    response = client.get("/api/docs/")
    parser = _Assets()
    parser.feed(response.content.decode())

    assert response.status_code == 200
    assert parser.urls, "the docs page should load Swagger UI assets"
    remote = [u for u in parser.urls if re.match(r"^(https?:)?//", u)]
    assert remote == []
    static = [u for u in parser.urls if u.startswith("/static/")]
    assert {u for u in static if finders.find(u.removeprefix("/static/"))} == set(static)


def test_the_docs_page_points_swagger_ui_at_the_local_schema(client: Client):
    page = client.get("/api/docs/").content.decode()
    script_url = re.search(r'src="(/api/docs/\?script=[^"]*)"', page)

    assert script_url is not None
    script = client.get(script_url.group(1).replace("&amp;", "&"))
    assert script.status_code == 200
    assert "/api/schema/" in script.content.decode()
