"""The OKR API under /api/v1/workspaces/<slug>/: periods, objectives, key results, reviews."""

from okrs.api.key_results import CheckInViewSet, KeyResultViewSet
from okrs.api.objectives import ObjectiveViewSet
from okrs.api.periods import PeriodViewSet
from okrs.api.smart import SmartReviewViewSet

__all__ = [
    "CheckInViewSet",
    "KeyResultViewSet",
    "ObjectiveViewSet",
    "PeriodViewSet",
    "SmartReviewViewSet",
]
