"""Document sockets run on the live layer: they share its per-test set-up (a fresh channel
layer and presence roster, a short presence window, no event loop left by Playwright)."""

from tests.live.conftest import _fresh_channel_layer, _no_foreign_event_loop

__all__ = ["_fresh_channel_layer", "_no_foreign_event_loop"]
