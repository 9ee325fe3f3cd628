"""OKR pages, under /w/<slug>/okrs/."""

from django.urls import path

from okrs.views import key_results, objectives, periods, settings, tree

app_name = "okrs"
urlpatterns = [
    path("", tree.tree, name="tree"),
    path("settings/", settings.okr_settings, name="settings"),
    path("periods/", periods.period_list, name="periods"),
    path("periods/new/", periods.period_new, name="period_new"),
    path("periods/<int:period_id>/", periods.period_edit, name="period_edit"),
    path("periods/<int:period_id>/close/", periods.period_close, name="period_close"),
    path("objectives/new/", objectives.objective_new, name="objective_new"),
    path("objectives/review/", objectives.review_objective, name="review_objective"),
    path("objectives/<int:objective_id>/", objectives.objective_detail, name="objective_detail"),
    path("objectives/<int:objective_id>/edit/", objectives.objective_edit, name="objective_edit"),
    path("objectives/<int:objective_id>/children/", tree.tree_children, name="objective_children"),
    path("objectives/<int:objective_id>/comments/", objectives.comment_add, name="comment_add"),
    path(
        "objectives/<int:objective_id>/key-results/new/",
        key_results.key_result_new,
        name="key_result_new",
    ),
    path("key-results/review/", key_results.review_key_result, name="review_key_result"),
    path(
        "key-results/<int:key_result_id>/edit/",
        key_results.key_result_edit,
        name="key_result_edit",
    ),
    path(
        "key-results/<int:key_result_id>/check-in/",
        key_results.key_result_check_in,
        name="key_result_check_in",
    ),
]
