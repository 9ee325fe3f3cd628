"""Helpers shared by the OKR page tests."""

from __future__ import annotations

from django.urls import reverse

SLUG = "acme-inc"


def okrs_url(name: str, **kwargs: object) -> str:
    return reverse(f"okrs:{name}", kwargs={"slug": SLUG, **kwargs})


def htmx(**extra: str) -> dict[str, str]:
    return {"HTTP_HX_REQUEST": "true", **extra}
