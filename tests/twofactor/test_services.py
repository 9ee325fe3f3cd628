"""Setting up, checking codes, recovery codes, turning off, and the workspace rule."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django_otp.plugins.otp_totp.models import TOTPDevice

from alignment.errors import FieldErrors, RoleRequired
from alignment.models import AuditEvent
from tests.clock import DEFAULT_NOW
from tests.factories import MembershipFactory, WorkspaceFactory
from tests.factories.core import PASSWORD
from tests.factories.twofactor import enrol, totp_code
from twofactor import selectors, services
from twofactor.errors import CodeThrottled, EnrolYourselfFirst, TwoFactorAlreadyOn
from twofactor.models import RecoveryCode, TwoFactorPolicy, hash_code

pytestmark = pytest.mark.django_db


def verbs(workspace) -> list[str]:
    return list(AuditEvent.objects.for_workspace(workspace).values_list("verb", flat=True))


def test_setup_keeps_one_unconfirmed_device_until_a_code_confirms_it(world):
    user = world.member.user

    first = services.totp_device_for_setup(user=user)
    again = services.totp_device_for_setup(user=user)

    assert first.pk == again.pk
    assert first.confirmed is False
    assert selectors.has_two_factor(user) is False


def test_a_wrong_code_does_not_turn_two_factor_on(world):
    user = world.member.user
    device = services.totp_device_for_setup(user=user)
    wrong = f"{(int(totp_code(device)) + 1) % 1_000_000:06d}"

    with pytest.raises(FieldErrors) as refused:
        services.two_factor_enable(user=user, code=wrong)

    assert "code" in refused.value.fields
    assert selectors.has_two_factor(user) is False
    assert RecoveryCode.objects.filter(user=user).count() == 0
    assert "two_factor.enabled" not in verbs(world.workspace)


def test_the_current_code_turns_it_on_with_ten_hashed_recovery_codes(world, world_b):
    user = world.member.user
    MembershipFactory(workspace=world_b.workspace, user=user)

    device, codes = enrol(user)

    assert device.confirmed is True
    assert selectors.has_two_factor(user) is True
    assert len(codes) == len(set(codes)) == 10
    stored = set(RecoveryCode.objects.filter(user=user).values_list("code_hash", flat=True))
    assert stored == {hash_code(code) for code in codes}
    assert not any(code in stored for code in codes)  # never the code itself
    # Each workspace the person is in records it.
    assert verbs(world.workspace).count("two_factor.enabled") == 1
    assert verbs(world_b.workspace).count("two_factor.enabled") == 1


def test_setting_up_again_when_on_is_refused(world):
    enrol(world.member.user)

    with pytest.raises(TwoFactorAlreadyOn):
        services.totp_device_for_setup(user=world.member.user)


def test_the_app_code_passes_once_and_is_not_accepted_again(world):
    user = world.member.user
    device, _ = enrol(user)
    code = totp_code(device, steps=1)

    assert services.second_factor_check(user=user, code=code) == "totp"
    assert services.second_factor_check(user=user, code=code) is None  # replayed


def test_a_code_from_two_periods_ago_is_refused(world):
    user = world.member.user
    with time_machine.travel(DEFAULT_NOW, tick=False):
        device, _ = enrol(user)
    with time_machine.travel(DEFAULT_NOW + timedelta(minutes=5), tick=False):
        stale = totp_code(device, steps=-2)
        current = totp_code(device)

        assert services.second_factor_check(user=user, code=stale) is None
        # The refusal starts django-otp's back-off: one second for the first failure.
    with time_machine.travel(DEFAULT_NOW + timedelta(minutes=5, seconds=2), tick=False):
        assert services.second_factor_check(user=user, code=current) == "totp"


def test_wrong_codes_in_a_row_are_throttled_per_device(world):
    user = world.member.user
    with time_machine.travel(DEFAULT_NOW, tick=False):
        device, _ = enrol(user)
        wrong = f"{(int(totp_code(device, steps=1)) + 1) % 1_000_000:06d}"
        assert services.second_factor_check(user=user, code=wrong) is None

        with pytest.raises(CodeThrottled) as throttled:
            services.second_factor_check(user=user, code=totp_code(device, steps=1))

    assert throttled.value.details["seconds"] == 1
    device.refresh_from_db()
    assert device.throttling_failure_count == 1


def test_a_recovery_code_works_once_and_is_audited(world):
    user = world.member.user
    _, codes = enrol(user)

    assert services.second_factor_check(user=user, code=codes[3].upper()) == "recovery_code"
    assert services.second_factor_check(user=user, code=codes[3]) is None

    assert RecoveryCode.objects.filter(user=user).unused().count() == 9
    event = AuditEvent.objects.for_workspace(world.workspace).get(
        verb="two_factor.recovery_code_used"
    )
    assert event.actor == user
    assert event.after == {"recovery_codes_left": 9}


def test_someone_elses_recovery_code_does_not_work(world):
    _, codes_of_member = enrol(world.member.user)
    enrol(world.admin.user)

    assert services.second_factor_check(user=world.admin.user, code=codes_of_member[0]) is None
    assert RecoveryCode.objects.filter(user=world.member.user).unused().count() == 10


def test_regenerating_replaces_every_code_and_needs_the_password(world):
    user = world.member.user
    _, old = enrol(user)

    with pytest.raises(FieldErrors):
        services.recovery_codes_regenerate(user=user, password="not-it")
    new = services.recovery_codes_regenerate(user=user, password=PASSWORD)

    assert set(new).isdisjoint(old)
    assert services.second_factor_check(user=user, code=old[0]) is None
    assert services.second_factor_check(user=user, code=new[0]) == "recovery_code"
    assert "two_factor.recovery_codes_regenerated" in verbs(world.workspace)


def test_turning_off_needs_the_password_and_a_code(world):
    user = world.member.user
    device, codes = enrol(user)

    with pytest.raises(FieldErrors) as bad_password:
        services.two_factor_disable(user=user, password="nope", code=totp_code(device, steps=1))
    with pytest.raises(FieldErrors) as bad_code:
        services.two_factor_disable(user=user, password=PASSWORD, code="000000x")

    assert "password" in bad_password.value.fields
    assert "code" in bad_code.value.fields
    assert selectors.has_two_factor(user) is True

    services.two_factor_disable(user=user, password=PASSWORD, code=codes[0])

    assert selectors.has_two_factor(user) is False
    assert not TOTPDevice.objects.filter(user=user).exists()
    assert not RecoveryCode.objects.filter(user=user).exists()
    assert "two_factor.disabled" in verbs(world.workspace)


def test_an_admin_must_have_two_factor_before_requiring_it(world):
    with pytest.raises(EnrolYourselfFirst):
        services.two_factor_policy_set(actor=world.admin, required=True)

    assert not TwoFactorPolicy.objects.exists()


def test_requiring_two_factor_is_audited_and_a_repeat_changes_nothing(world):
    enrol(world.admin.user)

    services.two_factor_policy_set(actor=world.admin, required=True)
    services.two_factor_policy_set(actor=world.admin, required=True)

    assert selectors.workspace_requires_two_factor(world.workspace.slug) is True
    assert verbs(world.workspace).count("workspace.two_factor_required") == 1


def test_the_cached_rule_follows_a_change(world, django_capture_on_commit_callbacks):
    enrol(world.admin.user)
    assert selectors.workspace_requires_two_factor(world.workspace.slug) is False  # cached

    with django_capture_on_commit_callbacks(execute=True):
        services.two_factor_policy_set(actor=world.admin, required=True)

    assert selectors.workspace_requires_two_factor(world.workspace.slug) is True


def test_a_member_cannot_change_the_rule(world):
    enrol(world.member.user)

    with pytest.raises(RoleRequired):
        services.two_factor_policy_set(actor=world.member, required=True)


def test_members_without_two_factor_lists_only_this_workspace(world, world_b):
    enrol(world.member.user)
    outsider = MembershipFactory(workspace=WorkspaceFactory()).user

    emails = [m.user.email for m in selectors.members_without_two_factor(world.workspace)]

    assert world.member.user.email not in emails
    assert outsider.email not in emails
    assert sorted(emails) == sorted(m.user.email for m in (world.owner, world.admin, world.viewer))
