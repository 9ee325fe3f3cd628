"""Documents written before the editor was rich hold their body as Markdown in a Y.Text; move
each into the rich-text body (a Y.XmlFragment) once, so nothing written before is lost."""

from __future__ import annotations

from django.db import migrations


def convert(apps, schema_editor) -> None:  # type: ignore[no-untyped-def]
    # The real functions, not historical models: converting means reading and writing Yjs
    # state, which only documents.crdt knows how to do; they touch only columns this migration
    # already has (snapshot, body_text, the update rows).
    from documents import crdt
    from documents.models import Document

    for document_id in Document.objects.values_list("pk", flat=True).iterator():
        crdt.convert_legacy_body(document_id)


class Migration(migrations.Migration):
    dependencies = [("documents", "0003_document_mentions")]

    operations = [migrations.RunPython(convert, migrations.RunPython.noop)]
