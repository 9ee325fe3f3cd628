"""`{% two_factor_card %}`: the profile page's two-factor card, without the core knowing us."""

from __future__ import annotations

from typing import Any

from django import template

from twofactor import selectors

register = template.Library()


@register.inclusion_tag("twofactor/_profile_card.html", takes_context=True)
def two_factor_card(context: dict[str, Any]) -> dict[str, Any]:
    user = context["request"].user
    return {"is_on": user.is_authenticated and selectors.has_two_factor(user)}
