"""Workspace pages of the core, under /w/<slug>/."""

from django.urls import path

from alignment.views import audit, invitations, members, teams, time_zone, tokens, workspace

app_name = "workspace"
urlpatterns = [
    path("", workspace.workspace_home, name="home"),
    path("settings/", members.settings_index, name="settings"),
    path("settings/members/", members.member_list, name="members"),
    path("settings/members/leave/", members.member_leave, name="member_leave"),
    path("settings/members/<int:membership_id>/role/", members.member_role, name="member_role"),
    path(
        "settings/members/<int:membership_id>/remove/",
        members.member_remove,
        name="member_remove",
    ),
    path("settings/invitations/", invitations.invitation_list, name="invitations"),
    path(
        "settings/invitations/<int:invitation_id>/revoke/",
        invitations.invitation_revoke,
        name="invitation_revoke",
    ),
    path(
        "settings/invitations/<int:invitation_id>/resend/",
        invitations.invitation_resend,
        name="invitation_resend",
    ),
    path("settings/teams/", teams.team_list, name="teams"),
    path("settings/teams/new/", teams.team_new, name="team_new"),
    path("settings/teams/<int:team_id>/", teams.team_edit, name="team_edit"),
    path("settings/teams/<int:team_id>/delete/", teams.team_delete, name="team_delete"),
    path("settings/teams/<int:team_id>/privacy/", teams.team_privacy, name="team_privacy"),
    path("settings/teams/<int:team_id>/members/", teams.team_member_add, name="team_member_add"),
    path(
        "settings/teams/<int:team_id>/members/<int:team_member_id>/remove/",
        teams.team_member_remove,
        name="team_member_remove",
    ),
    path("settings/time-zone/", time_zone.time_zone_settings, name="time_zone"),
    path("settings/tokens/", tokens.token_list, name="tokens"),
    path("settings/tokens/created/", tokens.token_created, name="token_created"),
    path("settings/tokens/<int:token_id>/revoke/", tokens.token_revoke, name="token_revoke"),
    path("settings/audit/", audit.audit_log, name="audit"),
    path("settings/audit/export/", audit.audit_export, name="audit_export"),
    path("settings/audit/retention/", audit.audit_retention, name="audit_retention"),
]
