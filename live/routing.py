"""Websocket routes, as the URLconf holds page routes. The socket tenancy matrix
(tests/live/test_tenancy_matrix_sockets.py) fails when a route here is not probed."""

from django.urls import path

from live.consumers import LiveConsumer

websocket_urlpatterns = [
    path("ws/w/<slug:slug>/", LiveConsumer.as_asgi(), name="live"),
]
