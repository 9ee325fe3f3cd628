"""The rich-text body (a Y.XmlFragment as y-prosemirror writes it) read as Markdown and
written from Markdown; documents written before the editor was rich are converted once."""

from __future__ import annotations

import pytest
from pycrdt import Doc, Text, XmlElement, XmlFragment, XmlText

from documents import crdt, richtext, services
from documents.models import Document, DocumentMention, DocumentUpdate
from tests.conftest import World, build_world
from tests.factories.work import TaskFactory

SAMPLE = """# Launch plan

Intro with **bold**, _it_, `code` and a [link](https://example.com/a) for @task:ENG-12.

## Steps

- one
- two **bold**

1. first
2. second

> quoted words

```
x = 1
  y = [2]
```

---

last line"""


def fragment() -> XmlFragment:
    return Doc().get(crdt.BODY, type=XmlFragment)


def test_markdown_round_trips_through_the_tree_y_prosemirror_reads() -> None:
    body = fragment()
    richtext.fill(body, SAMPLE)

    assert richtext.markdown_of(body) == SAMPLE
    # The node and mark names are those of prosemirror-schema-basic and -list.
    tags = [child.tag for child in body.children]
    assert tags == [
        "heading",
        "paragraph",
        "heading",
        "bullet_list",
        "ordered_list",
        "blockquote",
        "code_block",
        "horizontal_rule",
        "paragraph",
    ]
    heading = body.children[0]
    assert dict(heading.attributes)["level"] == 1
    intro = body.children[1].children[0]
    assert isinstance(intro, XmlText)
    runs = intro.diff()
    assert ("bold", {"strong": {}}) in runs
    assert ("it", {"em": {}}) in runs
    assert ("code", {"code": {}}) in runs
    assert ("link", {"link": {"href": "https://example.com/a", "title": None}}) in runs


def test_a_tree_as_the_editor_writes_it_reads_as_markdown() -> None:
    # What y-prosemirror stores for: a heading "Plan" (level 2 as a JS number), a paragraph
    # with "bold" in bold and a trailing space inside the mark, a list of one item.
    body = fragment()
    heading = body.children.append(XmlElement("heading", {"level": 2}))
    heading.children.append(XmlText("Plan"))
    paragraph = body.children.append(XmlElement("paragraph"))
    text = paragraph.children.append(XmlText())
    text.insert(0, "a ")
    text.insert(2, "bold ", {"strong": {}})
    text.insert(7, "word * [x]")
    items = body.children.append(XmlElement("bullet_list"))
    item = items.children.append(XmlElement("list_item"))
    item.children.append(XmlElement("paragraph")).children.append(XmlText("@kr:4 done"))

    assert richtext.markdown_of(body) == ("## Plan\n\na **bold** word \\* \\[x\\]\n\n- @kr:4 done")


def test_text_that_looks_like_markdown_is_escaped_and_reads_back_the_same() -> None:
    body = fragment()
    paragraph = body.children.append(XmlElement("paragraph"))
    paragraph.children.append(XmlText("# not a heading, 2*3 and snake_case _x_"))
    markdown = richtext.markdown_of(body)
    again = fragment()
    richtext.fill(again, markdown)

    assert markdown == "\\# not a heading, 2\\*3 and snake_case \\_x\\_"
    assert str(again.children[0].children[0]) == "# not a heading, 2*3 and snake_case _x_"


def test_an_empty_body_gets_one_paragraph() -> None:
    body = fragment()
    richtext.fill(body, "")

    assert [child.tag for child in body.children] == ["paragraph"]
    assert richtext.markdown_of(body) == ""


@pytest.fixture
def world(db) -> World:
    return build_world("acme")


def legacy_state(text: str) -> bytes:
    """A document's state as it was stored before the editor was rich: Markdown in a Y.Text."""
    doc = Doc()
    doc.get(crdt.LEGACY_BODY, type=Text).insert(0, text)
    return doc.get_update()


def test_a_document_written_before_the_rich_editor_is_converted_once(world: World) -> None:
    document = services.create_document(actor=world.member, title="Old", text="")
    task = TaskFactory(team=world.team)
    old = f"# Old notes\n\nSee **this** and @task:{task.key}."
    snapshot = legacy_state(old[:12])
    Document.objects.filter(pk=document.pk).update(snapshot=snapshot, body_text="")
    # An edit stored after the snapshot, not yet compacted: it is part of the text too.
    doc = Doc()
    doc.get(crdt.LEGACY_BODY, type=Text)
    doc.apply_update(snapshot)
    before = doc.get_state()
    doc.get(crdt.LEGACY_BODY, type=Text).insert(12, old[12:])
    DocumentUpdate.objects.create(
        workspace_id=document.workspace_id, document=document, data=doc.get_update(before)
    )

    assert crdt.convert_legacy_body(document.pk) is True
    assert crdt.convert_legacy_body(document.pk) is False  # once: the fragment is filled now

    converted = Document.objects.get(pk=document.pk)
    assert crdt.text_of(converted) == old
    assert converted.body_text == old
    assert DocumentUpdate.objects.filter(document=document).count() == 0
    crdt.refresh_text(converted)
    assert DocumentMention.objects.filter(document=document, object_id=task.pk).exists()


def test_a_new_document_and_a_restore_write_the_rich_body(world: World) -> None:
    document = services.create_document(actor=world.member, title="New", text="first **one**")
    version = services.save_version(actor=world.member, document=document)
    services.replace_text(actor=world.member, document=document, text="## second")

    assert crdt.text_of(Document.objects.get(pk=document.pk)) == "## second"
    services.restore_version(actor=world.member, version=version)
    doc = crdt.load(Document.objects.get(pk=document.pk))
    assert [child.tag for child in crdt.body_of(doc).children] == ["paragraph"]
    assert crdt.markdown_of(doc) == "first **one**"
    assert str(doc.get(crdt.LEGACY_BODY, type=Text)) == ""  # nothing written the old way
