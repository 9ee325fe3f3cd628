"""HTML pages of the OKRs (htmx partials from the same URLs). Thin: scope, call, render."""
