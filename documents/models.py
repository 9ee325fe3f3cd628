"""Documents co-edited live: a tree per workspace (and team), its CRDT state, its versions.

The text is a Yjs document (one `Y.Text` named "body") and the database holds it as Yjs
binary updates: `DocumentUpdate` rows, each stored before the socket acknowledges it, and a
compacted `Document.snapshot` (all older updates merged into one). State = snapshot + the
updates after it, in order; merging is commutative, so the order only matters for speed.

Sharing stays inside the workspace: a document without a team is visible to the workspace
(guests excepted), a team's document to whoever sees the team (`Team.objects.visible_to`:
private teams to their members and admins).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from alignment.models import Membership, Team, Workspace
from alignment.querysets import TeamScopedQuerySet


class DocumentQuerySet(TeamScopedQuerySet):
    team_fields = ("team",)
    team_optional = True  # no team: the whole workspace's


class Template(models.TextChoices):
    BLANK = "blank", "Blank"
    PRD = "prd", "PRD"
    RFC = "rfc", "RFC"
    OKR_REVIEW = "okr_review", "OKR review"
    SPRINT_RETRO = "sprint_retro", "Sprint retro"
    INCIDENT_REVIEW = "incident_review", "Incident review"


class Document(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    # Null: shared with the whole workspace; a team: only those who see that team.
    team = models.ForeignKey(
        Team, on_delete=models.CASCADE, null=True, blank=True, related_name="documents"
    )
    parent = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="children"
    )
    position = models.PositiveIntegerField(default=0)
    title = models.CharField(max_length=200)
    template = models.CharField(max_length=20, choices=Template.choices, default=Template.BLANK)
    snapshot = models.BinaryField(default=b"")
    # Plain text of the body, refreshed at compaction and when editors leave: search reads it.
    body_text = models.TextField(blank=True, default="")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    # Set: out of the tree, search and backlinks, still readable and restorable by its link.
    archived_at = models.DateTimeField(null=True, blank=True)

    objects = DocumentQuerySet.as_manager()

    class Meta:
        ordering = ["position", "id"]
        indexes = [
            models.Index(fields=["workspace", "parent", "position"], name="document_tree_idx"),
        ]

    def __str__(self) -> str:
        return self.title


class DocumentUpdate(models.Model):
    """One Yjs update as a client sent it, stored before the server acknowledges it."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="updates")
    data = models.BinaryField()
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["document", "id"], name="document_update_idx")]

    def __str__(self) -> str:
        return f"update {self.pk} of document {self.document_id}"


class DocumentVersion(models.Model):
    """A named point in the history: the full state then, restorable."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="versions")
    state = models.BinaryField()
    body_text = models.TextField(blank=True, default="")
    label = models.CharField(max_length=200, blank=True, default="")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.label or f"version {self.pk}"


class DocumentComment(models.Model):
    """A comment on a selection of a document's text.

    The selection is anchored by two Yjs relative positions (`Y.encodeRelativePosition`,
    base64): they point at characters, not offsets, so the anchor moves with the text as
    others type before it and survives concurrent edits. `quote` is the text selected when the
    comment was written, shown if the anchored text has since been deleted.
    """

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    body = models.TextField()
    quote = models.CharField(max_length=500, blank=True, default="")
    anchor_start = models.CharField(max_length=200)
    anchor_end = models.CharField(max_length=200)
    created_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["document", "created_at"], name="document_comment_idx")]

    def __str__(self) -> str:
        return f"comment {self.pk} on document {self.document_id}"


class MentionKind(models.TextChoices):
    """What a mention names (people are left out: they have no page showing backlinks)."""

    TASK = "task", "Task"
    KEY_RESULT = "kr", "Key result"
    OBJECTIVE = "objective", "Objective"
    ROADMAP_ITEM = "item", "Roadmap item"


class DocumentMentionQuerySet(models.QuerySet):
    def for_workspace(self, workspace: Workspace | int) -> DocumentMentionQuerySet:
        workspace_id = workspace if isinstance(workspace, int) else workspace.pk
        return self.filter(workspace_id=workspace_id)

    def visible_to(self, membership: Membership) -> DocumentMentionQuerySet:
        """Mentions in documents `membership` may read (a private team's stay hidden)."""
        readable = Document.objects.visible_to(membership).values("pk")
        return self.for_workspace(membership.workspace_id).filter(
            document__in=readable, document__archived_at__isnull=True
        )


class DocumentMention(models.Model):
    """An object a document's text mentions, stored with every persisted change of the text so
    that the object's page lists the documents naming it (backlinks) in one indexed query."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="mentions")
    kind = models.CharField(max_length=12, choices=MentionKind.choices)
    # As written after the colon ("ENG-12", "5"): comparing these with the text tells whether
    # anything changed without resolving a single key.
    ref = models.CharField(max_length=120)
    # The mentioned row's id, resolved in the document's workspace when the text was stored
    # (a task by its key), so a later key change keeps the link.
    object_id = models.PositiveBigIntegerField()

    objects = DocumentMentionQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["document", "kind", "ref"], name="document_mention_once"
            )
        ]
        indexes = [
            models.Index(fields=["workspace", "kind", "object_id"], name="document_backlink_idx")
        ]

    def __str__(self) -> str:
        return f"{self.kind}:{self.object_id} in document {self.document_id}"
