"""Root URLconf. Pages live under /w/<slug>/, the API under /api/v1/workspaces/<slug>/."""

from django.contrib import admin
from django.contrib.auth.decorators import login_required
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from alignment.views import accounts, errors, workspace
from integrations import notification_urls

workspace_pages = [
    path("", include("alignment.urls_workspace")),
    path("okrs/", include("okrs.urls")),
    path("dashboards/", include("dashboards.urls")),
    path("integrations/", include("integrations.urls")),
    path("", include("tasks.urls")),
    path("", include("attachments.urls")),
    path("", include("customfields.urls")),
    path("", include("automation.urls")),
    path("assistant/", include("assistant.urls")),
    path("roadmaps/", include("roadmaps.urls")),
    path("standards/", include("standards.urls")),
    path("documents/", include("documents.urls")),
    path("notifications/", include((notification_urls.page_patterns, "notifications"))),
    path("settings/sso/", include("sso.urls")),
    path("settings/scim/", include("scim.urls_settings")),
    path("settings/two-factor/", include("twofactor.urls_workspace")),
]

workspace_api = [
    path("", include("alignment.api_urls")),
    path("", include("okrs.api_urls")),
    path("", include("roadmaps.api_urls")),
    path("", include("tasks.api_urls")),
    path("", include("attachments.api_urls")),
    path("", include("customfields.api_urls")),
    path("", include("standards.api_urls")),
    path("", include("automation.api_urls")),
    path("", include("documents.api_urls")),
    path("assistant/", include("assistant.api_urls")),
    path("", include("dashboards.api_urls")),
    path("", include(notification_urls.api_patterns)),
]

# The admin logs in through the app's own log-in, so its second step (two-factor) applies:
# Django's admin form would otherwise start a session on the password alone.
admin.site.login = login_required(admin.site.login)  # type: ignore[method-assign]

urlpatterns = [
    path("", accounts.home, name="home"),
    path("healthz", workspace.healthz, name="healthz"),
    path("hooks/", include("integrations.hook_urls")),
    path("accounts/sso/", include("sso.urls_login")),
    path("accounts/", include("alignment.urls_accounts")),
    path("accounts/two-factor/", include("twofactor.urls")),
    path("workspaces/", workspace.workspace_list, name="workspaces"),
    path("workspaces/new/", workspace.workspace_new, name="workspace_new"),
    path("w/<slug:slug>/", include(workspace_pages)),
    path("api/v1/workspaces/<slug:slug>/", include(workspace_api)),
    path("api/v1/", include("alignment.api_urls_root")),
    path("scim/v2/<slug:slug>/", include("scim.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("admin/", admin.site.urls),
]

handler400 = errors.bad_request
handler403 = errors.permission_denied
handler404 = errors.page_not_found
handler500 = errors.server_error
