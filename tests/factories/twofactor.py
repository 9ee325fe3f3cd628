"""Two-factor test pieces: a confirmed authenticator app, and the code it shows at an instant.

The code is computed from the same clock the server reads (the suite's pinned clock,
tests/clock.py), so a test never depends on the real time.
"""

from __future__ import annotations

import time
from datetime import datetime

from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from alignment.models import User
from twofactor import services


def totp_code(device: TOTPDevice, *, at: datetime | None = None, steps: int = 0) -> str:
    """The 6-digit code the person's app shows at `at` (default: now), `steps` periods away."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = (at.timestamp() if at is not None else time.time()) + steps * device.step
    return f"{totp.token():06d}"


def enrol(user: User) -> tuple[TOTPDevice, list[str]]:
    """Turn two-factor on the way a person does: set up, then confirm with the current code."""
    device = services.totp_device_for_setup(user=user)
    codes = services.two_factor_enable(user=user, code=totp_code(device))
    device.refresh_from_db()
    return device, codes
