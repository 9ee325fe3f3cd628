"""The webhook endpoints providers POST to. CSRF-exempt: the signature authenticates them."""

from __future__ import annotations

import uuid

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from integrations.inbound import receive
from integrations.models import Provider


@csrf_exempt
@require_POST
def github(request: HttpRequest, integration_uuid: uuid.UUID) -> HttpResponse:
    return receive(request, Provider.GITHUB, integration_uuid)


@csrf_exempt
@require_POST
def gitlab(request: HttpRequest, integration_uuid: uuid.UUID) -> HttpResponse:
    return receive(request, Provider.GITLAB, integration_uuid)


@csrf_exempt
@require_POST
def slack(request: HttpRequest, integration_uuid: uuid.UUID) -> HttpResponse:
    return receive(request, Provider.SLACK, integration_uuid)
