"""How the in-process benchmarks run Django: as production does, not as a test does.

`django.test.utils.setup_test_environment` instruments every template render with a signal
that Django's test client answers by copying the context (thousands of copies for a page with
a hundred rows), and DEBUG keeps a log of every query with its SQL formatted: costs no
production request pays. The benchmarks use the test client without either. (Measured on the
leader dashboard at a million tasks, alternating: within the run-to-run noise of ±6%.)
"""

from __future__ import annotations

import warnings


def production_like() -> None:
    """DEBUG off, templates uninstrumented, mail kept in memory; requests from the test
    client's host allowed. Call after django.setup()."""
    from django.conf import settings

    settings.DEBUG = False
    settings.ALLOWED_HOSTS = ["testserver"]
    # Nothing a benchmark does may send mail.
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    # WhiteNoise, without DEBUG, looks for collectstatic's folder: the benchmarks serve no
    # static files.
    warnings.filterwarnings("ignore", message="No directory at", category=UserWarning)
