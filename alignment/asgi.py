"""ASGI entry point: pages (Django) and the live sockets (Channels, docs/realtime.md).

Served by daphne under `manage.py runserver` (make run) and by uvicorn in production
(docker-compose.yml's `live` service).
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "alignment.settings")
# Django is set up before the routing imports models.
django_application = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from documents.routing import websocket_urlpatterns as document_sockets  # noqa: E402
from live.auth import TokenOrSessionMiddleware  # noqa: E402
from live.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_application,
        "websocket": TokenOrSessionMiddleware(URLRouter(websocket_urlpatterns + document_sockets)),
    }
)
