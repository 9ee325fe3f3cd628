"""Document pages and services: tree, create from templates, roles, sharing, history, export,
import, search."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from alignment.errors import DomainError, FieldErrors
from documents import crdt, services
from documents.models import Document, DocumentVersion, Template
from documents.starters import STARTERS
from tests.conftest import World, build_world, client_for
from tests.factories import TeamFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(db) -> World:
    return build_world("acme")


def url(world: World, suffix: str = "") -> str:
    return f"/w/{world.workspace.slug}/documents/{suffix}"


def test_every_template_starts_with_its_text(world: World) -> None:
    for value, _ in Template.choices:
        document = services.create_document(actor=world.member, title=value, template=value)
        assert crdt.text_of(document) == STARTERS[value]
    assert "## Root cause" in STARTERS[Template.INCIDENT_REVIEW]


def test_member_creates_a_child_and_the_tree_shows_it(world: World) -> None:
    client = client_for(world.member.user)
    response = client.post(url(world), {"title": "RFC 1", "template": "rfc"})
    assert response.status_code == 303
    parent = Document.objects.get(title="RFC 1")
    client.post(url(world), {"title": "Appendix", "parent": parent.pk})
    child = Document.objects.get(title="Appendix")
    assert child.parent == parent
    assert child.workspace == world.workspace
    page = client.get(url(world)).content.decode()
    assert page.index("RFC 1") < page.index("Appendix")
    assert 'class="depth-1"' in page


def test_bad_input_is_422_not_500(world: World) -> None:
    client = client_for(world.member.user)
    assert client.post(url(world), {"title": ""}).status_code == 422
    assert client.post(url(world), {"title": "x", "template": "nope"}).status_code == 422
    assert client.post(url(world), {"title": "x", "team": "99999"}).status_code == 422
    assert client.post(url(world), {"title": "x", "parent": "abc"}).status_code == 422
    assert not Document.objects.exists()


def test_viewer_reads_but_cannot_write(world: World) -> None:
    document = services.create_document(actor=world.member, title="Spec", text="# Hi")
    viewer = client_for(world.viewer.user)
    page = viewer.get(url(world, f"{document.pk}/"))
    assert page.status_code == 200
    assert b"readonly" in page.content
    assert b"nonce-" in page.headers["Content-Security-Policy"].encode()
    assert viewer.post(url(world), {"title": "x"}).status_code == 403
    assert viewer.post(url(world, f"{document.pk}/history/")).status_code == 403
    with pytest.raises(DomainError):  # the service refuses too
        services.save_version(actor=world.viewer, document=document)


def test_team_documents_follow_private_teams(world: World) -> None:
    private = TeamFactory(workspace=world.workspace, is_private=True)
    secret = services.create_document(actor=world.owner, title="Secret", team=private)
    member = client_for(world.member.user)
    assert member.get(url(world, f"{secret.pk}/")).status_code == 404
    assert b"Secret" not in member.get(url(world)).content
    assert b"No document matches" in member.get(url(world) + "?q=Secret").content
    with pytest.raises(FieldErrors):
        services.create_document(actor=world.member, title="x", team=private)
    assert client_for(world.admin.user).get(url(world, f"{secret.pk}/")).status_code == 200


def test_other_workspace_is_404(world: World) -> None:
    other = build_world("globex")
    foreign = services.create_document(actor=other.member, title="Theirs")
    client = client_for(world.member.user)
    for suffix in ("", "history/", "export.md", "export.html"):
        assert client.get(url(world, f"{foreign.pk}/{suffix}")).status_code == 404
    assert client.post(url(world, f"{foreign.pk}/rename/"), {"title": "x"}).status_code == 404


def test_history_save_and_restore(world: World) -> None:
    document = services.create_document(actor=world.member, title="Spec", text="first")
    client = client_for(world.member.user)
    client.post(url(world, f"{document.pk}/history/"), {"label": "v1"})
    version = DocumentVersion.objects.get(document=document)
    services.replace_text(actor=world.member, document=document, text="second")
    assert crdt.text_of(document) == "second"
    response = client.post(url(world, f"{document.pk}/history/{version.pk}/restore/"))
    assert response.status_code == 303
    assert crdt.text_of(document) == "first"
    labels = set(DocumentVersion.objects.values_list("label", flat=True))
    assert labels == {"v1", "Before restore"}
    assert b"second" in client.get(url(world, f"{document.pk}/history/")).content


def test_export_markdown_and_html(world: World) -> None:
    document = services.create_document(
        actor=world.member, title="Launch plan", text="# Plan\n\n*soon* <script>x()</script>"
    )
    client = client_for(world.viewer.user)
    md = client.get(url(world, f"{document.pk}/export.md"))
    # The body is rich text: Markdown is read into it through the sanitizer, so raw HTML never
    # enters it, and the export writes emphasis its one way.
    assert md.content.decode() == "# Plan\n\n_soon_"
    assert 'filename="Launch-plan.md"' in md["Content-Disposition"]
    html = client.get(url(world, f"{document.pk}/export.html")).content.decode()
    assert "<em>soon</em>" in html
    assert "<script>" not in html
    assert "<h1>Launch plan</h1>" in html


def test_import_markdown(world: World) -> None:
    client = client_for(world.member.user)
    upload = SimpleUploadedFile("notes.md", "# Quarterly notes\n\nBody ✓".encode(), "text/markdown")
    response = client.post(url(world, "import/"), {"file": upload})
    document = Document.objects.get(title="Quarterly notes")
    assert response.status_code == 303
    assert crdt.text_of(document) == "# Quarterly notes\n\nBody ✓"
    bad = SimpleUploadedFile("x.md", b"\xff\xfe\x00bin", "text/markdown")
    assert client.post(url(world, "import/"), {"file": bad}).status_code == 303
    assert Document.objects.count() == 1


def test_search_finds_title_and_body(world: World) -> None:
    services.create_document(actor=world.member, title="Alpha", text="mentions the zebra rollout")
    services.create_document(actor=world.member, title="Beta", text="nothing")
    client = client_for(world.viewer.user)
    page = client.get(url(world) + "?q=zebra").content.decode()
    results = page.split("Results for")[1].split("All documents")[0]
    assert "Alpha" in results
    assert "Beta" not in results


def test_mentions_render_as_chips_the_reader_may_see(world: World) -> None:
    from tests.factories.okrs import KeyResultFactory
    from tests.factories.work import TaskFactory

    task = TaskFactory(team=world.team, title="Ship pricing")
    private = TeamFactory(workspace=world.workspace, is_private=True)
    hidden = TaskFactory(team=private, title="Hidden work")
    kr = KeyResultFactory(objective__workspace=world.workspace, title="Grow revenue")
    text = (
        f"See @task:{task.key} and @task:{hidden.key}, @kr:{kr.pk} "
        f"and @person:{world.admin.user.email}."
    )
    document = services.create_document(actor=world.member, title="Plan", text=text)
    page = client_for(world.member.user).get(url(world, f"{document.pk}/")).content.decode()
    preview = page.split("<h2>Preview</h2>")[1]
    assert f'data-mention="task:{task.key}"' in preview
    assert "Ship pricing" in preview
    assert "Hidden work" not in preview
    assert f"@task:{hidden.key}" in preview  # stays plain text
    assert "Grow revenue" in preview
    assert "%" in preview.split("Grow revenue")[1][:80]
    assert world.admin.user.display_name in preview
