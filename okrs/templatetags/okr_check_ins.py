"""Template filters for what a key result accepts: `{% if kr|progress_is_measured %}`."""

from __future__ import annotations

from django import template

from okrs.models import KeyResult
from okrs.services.key_results import progress_is_measured as _measured

register = template.Library()


@register.filter
def progress_is_measured(key_result: KeyResult) -> bool:
    """True for a KR fed by linked work or aligned objectives: no value check-ins."""
    return _measured(key_result)
