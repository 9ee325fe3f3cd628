"""The Redis channel layer's reads outlast its blocking waits (production's layer)."""

from __future__ import annotations

from channels_redis.core import RedisChannelLayer
from channels_redis.utils import create_pool, decode_hosts
from django.conf import settings

from tests.services import require


def test_a_layer_read_outlasts_the_layers_blocking_wait():
    # An idle socket waits `brpop_timeout` seconds in BZPOPMIN; redis-py's default 5 s socket
    # timeout (the same 5 s) raised TimeoutError in a consumer's receive loop and crashed it.
    assert RedisChannelLayer.brpop_timeout < settings.CHANNEL_LAYER_SOCKET_TIMEOUT


def test_the_redis_layers_connections_read_with_that_timeout():
    layer = settings.CHANNEL_LAYERS["default"]
    require("channels_redis" in layer["BACKEND"], "The Redis channel layer (REDIS_URL)")
    for host in decode_hosts(layer["CONFIG"]["hosts"]):
        pool = create_pool(host)
        assert pool.connection_kwargs["socket_timeout"] == settings.CHANNEL_LAYER_SOCKET_TIMEOUT
