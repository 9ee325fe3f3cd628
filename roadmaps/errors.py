"""Refusals of the roadmap domain."""

from __future__ import annotations

from alignment.errors import DomainError


class DependencyCycle(DomainError):
    status, code = 409, "dependency_cycle"
    message = "{blocked} already leads to {blocking}; this dependency would make a cycle."


class DependencyExists(DomainError):
    status, code = 409, "dependency_exists"
    message = "{blocking} already blocks {blocked}."
