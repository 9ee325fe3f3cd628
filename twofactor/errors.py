"""Refusals of the two-factor app."""

from __future__ import annotations

from alignment.errors import DomainError


class TwoFactorAlreadyOn(DomainError):
    status, code = 409, "two_factor_already_on"
    message = "Two-factor authentication is already on for your account."


class TwoFactorSetupMissing(DomainError):
    status, code = 409, "two_factor_setup_missing"
    message = "Start the set-up again: scan the new QR code, then enter a code from the app."


class TwoFactorOff(DomainError):
    status, code = 409, "two_factor_off"
    message = "Two-factor authentication is off for your account: set it up first."


class EnrolYourselfFirst(DomainError):
    status, code = 409, "two_factor_enrol_first"
    message = (
        "Set up two-factor authentication for your own account (on your profile) before "
        "requiring it of everyone."
    )


class CodeThrottled(DomainError):
    status, code = 429, "two_factor_throttled"
    message = "Too many wrong codes in a row. Wait {seconds} seconds, then try again."


class PasskeyRefused(DomainError):
    status, code = 400, "passkey_refused"
    message = "The passkey could not be verified: {reason}"
