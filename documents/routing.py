"""The document socket's route (added to live.routing's list by alignment.asgi)."""

from django.urls import path

from documents.consumers import DocumentConsumer

websocket_urlpatterns = [
    path(
        "ws/w/<slug:slug>/documents/<int:document_id>/",
        DocumentConsumer.as_asgi(),
        name="document_socket",
    ),
]
