"""HTML pages of the work domain (one module per page group)."""
