"""Roadmap pages, under /w/<slug>/ (views come with the pages)."""

app_name = "roadmaps"
urlpatterns: list = []
