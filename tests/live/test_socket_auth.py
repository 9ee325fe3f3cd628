"""Who may open a socket and follow what: checked like a page, refused with a clear code."""

from __future__ import annotations

import pytest

from alignment.models import TeamMember
from live import errors
from tests.conftest import World, build_guest
from tests.factories import TeamFactory
from tests.live.conftest import closed_with, opened, run, send, session_headers, socket, subscribed
from tests.live.conftest import token_headers as tokens


def test_a_socket_without_a_login_is_closed_4401(world: World) -> None:
    async def body() -> None:
        communicator = await opened(
            socket(world.workspace.slug, [(b"origin", b"http://testserver")])
        )
        assert (await closed_with(communicator))["code"] == errors.NOT_AUTHENTICATED

    run(body)


def test_a_session_from_another_sites_page_is_not_trusted(world: World) -> None:
    headers = session_headers(world.member, origin=b"https://evil.example")

    async def body() -> None:
        communicator = await opened(socket(world.workspace.slug, headers))
        closing = await closed_with(communicator)
        assert closing["code"] == errors.NOT_AUTHENTICATED
        assert "this site's own pages" in closing["reason"]

    run(body)


def test_a_session_socket_follows_its_teams_board(world: World) -> None:
    headers = session_headers(world.viewer)

    async def body() -> None:
        communicator = await opened(socket(world.workspace.slug, headers))
        answer = await subscribed(communicator, f"board:{world.team.pk}")
        assert answer == {
            "type": "subscribed",
            "topic": f"board:{world.team.pk}",
            "can_write": False,
        }
        await communicator.disconnect()

    run(body)


def test_a_token_socket_follows_a_board_and_a_read_token_may_not_write(world: World) -> None:
    read, write = tokens(world.member, "read"), tokens(world.member, "write")

    async def body() -> None:
        communicator = await opened(socket(world.workspace.slug, read))
        answer = await subscribed(communicator, f"board:{world.team.pk}")
        assert answer["can_write"] is False
        await communicator.disconnect()
        writer = await opened(socket(world.workspace.slug, write))
        assert (await subscribed(writer, f"board:{world.team.pk}"))["can_write"] is True
        await writer.disconnect()

    run(body)


def test_a_wrong_token_is_closed_4401_with_the_reason(world: World) -> None:
    async def body() -> None:
        headers = [(b"authorization", b"Bearer aln_nope")]
        closing = await closed_with(await opened(socket(world.workspace.slug, headers)))
        assert closing == {
            "type": "websocket.close",
            "code": 4401,
            "reason": "the API token is not valid",
        }

    run(body)


def test_a_token_of_another_workspace_is_404(world: World, world_b: World) -> None:
    headers = tokens(world.owner)

    async def body() -> None:
        communicator = await opened(socket(world_b.workspace.slug, headers))
        assert (await closed_with(communicator))["code"] == errors.NOT_FOUND

    run(body)


def test_a_private_team_board_is_404_to_a_member_outside_it(world: World) -> None:
    secret = TeamFactory(workspace=world.workspace, name="Secret", key="SEC", is_private=True)

    member, admin_headers = session_headers(world.member), session_headers(world.admin)

    async def body() -> None:
        outsider = await opened(socket(world.workspace.slug, member))
        await send(outsider, op="subscribe", topic=f"board:{secret.pk}")
        assert (await closed_with(outsider))["code"] == errors.NOT_FOUND
        admin = await opened(socket(world.workspace.slug, admin_headers))
        assert (await subscribed(admin, f"board:{secret.pk}"))["can_write"] is True
        await admin.disconnect()

    run(body)


def test_a_guest_follows_only_their_own_teams(world: World) -> None:
    guest = build_guest(world)
    mine = TeamFactory(workspace=world.workspace, name="Guests", key="GST")
    TeamMember.objects.create(workspace=world.workspace, team=mine, user=guest.user)

    headers = session_headers(guest)

    async def body() -> None:
        communicator = await opened(socket(world.workspace.slug, headers))
        assert (await subscribed(communicator, f"board:{mine.pk}"))["can_write"] is True
        await send(communicator, op="subscribe", topic="dashboards")
        assert (await closed_with(communicator))["code"] == errors.NOT_FOUND
        other = await opened(socket(world.workspace.slug, headers))
        await send(other, op="subscribe", topic=f"board:{world.team.pk}")
        assert (await closed_with(other))["code"] == errors.NOT_FOUND

    run(body)


@pytest.mark.parametrize("topic", ["notifications", "dashboards"])
def test_workspace_topics_take_no_reference(world: World, topic: str) -> None:
    headers = session_headers(world.member)

    async def body() -> None:
        communicator = await opened(socket(world.workspace.slug, headers))
        assert (await subscribed(communicator, topic))["topic"] == topic
        await send(communicator, op="subscribe", topic=f"{topic}:12")
        assert (await closed_with(communicator))["code"] == errors.NOT_FOUND

    run(body)
