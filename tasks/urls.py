"""Work pages, under /w/<slug>/ (views come with the pages)."""

app_name = "tasks"
urlpatterns: list = []
