"""One settings module, configured from the environment with safe local defaults.

Unset variables give the embedded setup used by `make run`: SQLite, eager Celery, local-memory
cache, e-mail printed to the console. Production sets DATABASE_URL, REDIS_URL, SECRET_KEY and
DEBUG=false, and then `manage.py check --deploy` passes (tests/alignment/test_settings.py).
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

from alignment.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DEBUG", default=True)
TESTING = env_bool("ALIGNMENT_TESTING", default=False)

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set when DEBUG is false. Generate one with: "
            "python -c 'import secrets; print(secrets.token_urlsafe(50))'"
        )
    SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production-0123456789abcdef"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
# Where links in e-mails and webhook URLs point; without it, pages use the request's host.
DEFAULT_SITE_URL = "http://127.0.0.1:8000"
SITE_URL = env_str("SITE_URL", DEFAULT_SITE_URL).rstrip("/")

INSTALLED_APPS = [
    # First, so `manage.py runserver` is daphne's: one command serves pages and websockets.
    "daphne",
    "alignment.apps.AlignmentConfig",
    "readmodel",
    "okrs",
    "roadmaps",
    "tasks",
    "dashboards",
    "integrations",
    "portability",
    "sso",
    "scim",
    "twofactor",
    "attachments",
    "customfields",
    "standards",
    "live",
    "automation",
    "documents",
    "assistant",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "channels",
    "django_otp",
    "django_otp.plugins.otp_totp",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "alignment.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "alignment.middleware.TimeZoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Sends members of a workspace that requires two-factor to set it up (pages only).
    "twofactor.middleware.TwoFactorRequiredMiddleware",
    "alignment.middleware.DomainErrorMiddleware",
]

ROOT_URLCONF = "alignment.urls"
WSGI_APPLICATION = "alignment.wsgi.application"
ASGI_APPLICATION = "alignment.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "alignment.context_processors.navigation",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}")
DATABASES = {
    "default": dj_database_url.parse(
        DATABASE_URL,
        # Persistent connections: a new connection per request is where a peer loses ~25 ms.
        conn_max_age=env_int("DB_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
IS_POSTGRES = DATABASES["default"]["ENGINE"].endswith("postgresql")
# alignment.prepared's queries as server-side prepared statements (PostgreSQL); off behind a
# pooler in transaction mode, which hands one session to several clients.
DB_PREPARED_STATEMENTS = env_bool("DB_PREPARED_STATEMENTS", True)
if not IS_POSTGRES:
    DATABASES["default"].setdefault("OPTIONS", {})
    # WAL + a busy timeout let the dev server and an eager worker share the SQLite file.
    DATABASES["default"]["OPTIONS"].update(
        {
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            # A write transaction takes the write lock when it begins, so concurrent writers
            # queue on the busy timeout instead of failing with "database is locked" when a
            # reader upgrades its lock (every unsafe API request is one transaction).
            "transaction_mode": "IMMEDIATE",
        }
    )
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = False
    # Covering indexes (INCLUDE) are a PostgreSQL feature; SQLite ignores the extra columns.
    SILENCED_SYSTEM_CHECKS = ["models.W040"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# After-commit event handlers (alignment/events.py): "log" a failure and go on — the change is
# committed, so it must not answer as an error — or "raise" it (the test suite does).
EVENT_HANDLER_ERRORS = env_str("EVENT_HANDLER_ERRORS", "log")

# --- Cache and Celery ---------------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            # Fails open (alignment/cache.py): a Redis outage costs cache misses, not writes.
            "BACKEND": "alignment.cache.ResilientRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "alignment"),
            # Short socket timeouts: a hung Redis must not hold requests either.
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Live pages (Django Channels, docs/realtime.md) -----------------------------------------
# Redis carries socket messages between web processes and from workers; without REDIS_URL one
# process holds them in memory, which is all `make run` (one process) needs.
# Seconds a channel-layer Redis read may take (see CHANNEL_LAYERS below).
CHANNEL_LAYER_SOCKET_TIMEOUT = 15.0
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                # redis-py reads with a 5 s socket timeout by default, the same 5 s the layer
                # blocks waiting for a message: an idle socket's read could time out and crash
                # its consumer (no leave, no presence update). Read longer than the layer waits.
                "hosts": [{"address": REDIS_URL, "socket_timeout": CHANNEL_LAYER_SOCKET_TIMEOUT}],
                "prefix": env_str("CHANNELS_PREFIX", "alignment-live"),
                # A slow socket loses its oldest messages, never blocks the sender.
                "capacity": env_int("LIVE_CHANNEL_CAPACITY", 200),
                "expiry": 30,
            },
        }
    }
else:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels.layers.InMemoryChannelLayer",
            "CONFIG": {"capacity": env_int("LIVE_CHANNEL_CAPACITY", 200), "expiry": 30},
        }
    }
# Pages open a websocket (off: a deployment serving only WSGI, where nothing would answer it).
LIVE_PAGES = env_bool("LIVE_PAGES", True)
# The largest frame a browser may send, and how many topics one socket may follow.
LIVE_MAX_FRAME_BYTES = env_int("LIVE_MAX_FRAME_BYTES", 16384)
LIVE_MAX_TOPICS = env_int("LIVE_MAX_TOPICS", 16)
# Presence: each socket says "still here" this often; a viewer silent for 2.5x that is gone.
LIVE_PRESENCE_HEARTBEAT_SECONDS = env_int("LIVE_PRESENCE_HEARTBEAT_SECONDS", 30)
# A join or leave is sent to a board's viewers as one roster at most this often (seconds).
LIVE_PRESENCE_COALESCE_SECONDS = float(env_str("LIVE_PRESENCE_COALESCE_SECONDS", "1"))
# How often an open socket re-checks its person's access (removed, demoted, team hidden).
LIVE_ACCESS_RECHECK_SECONDS = float(env_str("LIVE_ACCESS_RECHECK_SECONDS", "30"))

CELERY_BROKER_URL = REDIS_URL or "memory://"
# Tasks return nothing callers wait for, so no result backend unless one is asked for.
CELERY_RESULT_BACKEND = env_str("CELERY_RESULT_BACKEND") or None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL or env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_QUEUE", "alignment")
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A worker keeps its database connection between jobs as a web process keeps it between
# requests (CONN_MAX_AGE, health-checked; alignment.celery). Celery's own default closes it
# around every job: under bench-load that was a new PostgreSQL session for each of ≈ 7 jobs a
# second, each preparing its statements again (issue #15).
CELERY_DB_REUSE_MAX = 1_000_000_000
# No task may run longer than this (the soft limit lets it stop cleanly first): the longest,
# a large import or a full rollup recompute of a big workspace, takes well under it.
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 600)
CELERY_TASK_SOFT_TIME_LIMIT = max(1, CELERY_TASK_TIME_LIMIT - 30)
# Redis hands an unacknowledged task to another worker after this, so it must exceed the
# longest task (above), or a slow task would run twice; and it is how long the task of a
# worker killed outright (SIGKILL, lost machine) waits. A worker process that dies under a
# live worker (OOM, segfault) hands its task back at once (reject on worker lost).
CELERY_VISIBILITY_TIMEOUT = env_int("CELERY_VISIBILITY_TIMEOUT", CELERY_TASK_TIME_LIMIT + 60)
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_VISIBILITY_TIMEOUT}
CELERY_TIMEZONE = "UTC"
# Local wall-clock times of the scheduled jobs (alignment.local_schedule), "HH:MM".
SNAPSHOTS_LOCAL_TIME = env_str("SNAPSHOTS_LOCAL_TIME", "00:15")
DIGEST_LOCAL_TIME = env_str("DIGEST_LOCAL_TIME", "07:00")
DIGEST_WEEKDAY = env_int("DIGEST_WEEKDAY", 0)  # 0 = Monday … 6 = Sunday
# How long a deleted task can be restored, and an undo toast's change reverted (minutes).
TASK_UNDO_MINUTES = env_int("TASK_UNDO_MINUTES", 10)

CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    "prune-login-failures": {
        "task": "alignment.login_failures_prune",
        "schedule": timedelta(hours=1),
    },
    "prune-idempotency-records": {
        "task": "alignment.idempotency_records_prune",
        "schedule": timedelta(hours=1),
    },
    # Each workspace's audit log retention (Settings → Audit log); forever unless set.
    "prune-audit-log": {
        "task": "alignment.audit_log_prune",
        "schedule": crontab(hour=3, minute=30),
    },
    # dashboards: the daily snapshot (refreshes rollups, metrics and findings first) at each
    # workspace's local SNAPSHOTS_LOCAL_TIME (the tick picks the workspaces that reached it:
    # every 15 minutes, so zones at :30 and :45 offsets are on time too), and the safety net
    # that drains rollup queues whose job was lost.
    "dashboards-snapshots-tick": {
        "task": "dashboards.snapshots_tick",
        "schedule": crontab(minute="*/15"),
    },
    "dashboards-rollups-sweep": {
        "task": "dashboards.rollups_sweep",
        "schedule": timedelta(minutes=5),
    },
    # Findings and team metrics whose refresh job was lost (Redis or the broker down, a worker
    # killed): rows older than 25 s are drained, so a change shows within 60 s regardless.
    "dashboards-freshness-sweep": {
        "task": "dashboards.freshness_sweep",
        "schedule": timedelta(seconds=15),
    },
}

# --- Integrations (owned by integrations/) ------------------------------------------------
# Slack's Web API; tests point it at a local server speaking the same protocol.
SLACK_API_BASE = env_str("SLACK_API_BASE", "https://slack.com/api")
# Slash commands answer through the request's response_url only when it starts with these.
SLACK_RESPONSE_URL_PREFIXES = env_list("SLACK_RESPONSE_URL_PREFIXES", ["https://hooks.slack.com/"])
# Direct Slack calls made while a person waits (views.open within a trigger_id's 3 s,
# users.info to link them); everything else goes through the outbox.
SLACK_INTERACTIVE_TIMEOUT_SECONDS = float(env_str("SLACK_INTERACTIVE_TIMEOUT_SECONDS", "2.5"))
# Outbox delivery: attempt n+1 waits base*2^(n-1) seconds (±50 % jitter, capped); after
# OUTBOX_MAX_ATTEMPTS failures a message is dead until an admin retries it.
OUTBOX_MAX_ATTEMPTS = env_int("OUTBOX_MAX_ATTEMPTS", 8)
OUTBOX_BACKOFF_BASE_SECONDS = env_int("OUTBOX_BACKOFF_BASE_SECONDS", 30)
OUTBOX_BACKOFF_MAX_SECONDS = env_int("OUTBOX_BACKOFF_MAX_SECONDS", 6 * 60 * 60)
OUTBOX_HTTP_TIMEOUT_SECONDS = env_int("OUTBOX_HTTP_TIMEOUT_SECONDS", 10)
OUTBOX_SWEEP_BATCH = env_int("OUTBOX_SWEEP_BATCH", 100)
# A message "sending" for longer than this (worker died mid-send) is swept again.
OUTBOX_SENDING_TIMEOUT_SECONDS = env_int("OUTBOX_SENDING_TIMEOUT_SECONDS", 5 * 60)
# After a webhook secret rotation the old secret keeps signing (a second v1=) this long.
WEBHOOK_SECRET_OVERLAP_SECONDS = env_int("WEBHOOK_SECRET_OVERLAP_SECONDS", 24 * 60 * 60)
# Subscriptions must use https:// unless this is on (local development, tests).
WEBHOOKS_ALLOW_HTTP = env_bool("WEBHOOKS_ALLOW_HTTP", DEBUG)
# Webhook URLs may resolve to private/loopback addresses only in development (SSRF guard).
WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = env_bool("WEBHOOKS_ALLOW_PRIVATE_ADDRESSES", DEBUG)
# Single sign-on: an identity provider on your own network (Keycloak inside the firewall) needs
# this; off by default in production so a workspace admin cannot make the server probe it.
SSO_ALLOW_PRIVATE_ISSUERS = env_bool("SSO_ALLOW_PRIVATE_ISSUERS", DEBUG)
# The xmlsec1 program SAML signatures are verified with (found on PATH when unset).
SAML_XMLSEC_BINARY = env_str("SAML_XMLSEC_BINARY", "")
CELERY_BEAT_SCHEDULE["integrations-outbox-sweep"] = {
    "task": "integrations.outbox_sweep",
    "schedule": timedelta(minutes=1),
}
# Scheduled automation rules, and rule events whose processing was lost.
CELERY_BEAT_SCHEDULE["automation-tick"] = {
    "task": "automation.tick",
    "schedule": timedelta(minutes=1),
}
CELERY_BEAT_SCHEDULE["integrations-deliveries-sweep"] = {
    "task": "integrations.deliveries_sweep",
    "schedule": timedelta(minutes=1),
}
# Imports committed while the broker was down (their job row waits as "queued").
CELERY_BEAT_SCHEDULE["integrations-imports-sweep"] = {
    "task": "integrations.imports_sweep",
    "schedule": timedelta(minutes=5),
}
# The weekly leader digest, e-mailed to each recipient at DIGEST_LOCAL_TIME on
# DIGEST_WEEKDAY in their own zone (the Slack channel in the workspace's); each digest reports
# the week of the workspace's date.
CELERY_BEAT_SCHEDULE["integrations-digest-tick"] = {
    "task": "integrations.digest_tick",
    "schedule": crontab(minute="*/15"),
}
# Daily: remind owners of key results whose check-in is overdue (once per stale episode).
CELERY_BEAT_SCHEDULE["integrations-checkin-reminders"] = {
    "task": "integrations.checkin_reminders_send",
    "schedule": timedelta(days=1),
}
# --- end of integrations ------------------------------------------------------------------

# --- Auth ---------------------------------------------------------------------------------
AUTH_USER_MODEL = "alignment.User"
AUTHENTICATION_BACKENDS = ["alignment.auth_backends.EmailBackend"]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
PASSWORD_RESET_TIMEOUT = 60 * 60 * 3
# Login lock-out: this many failures within the window locks the account+address pair.
LOGIN_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
LOGIN_LOCKOUT_SECONDS = env_int("LOGIN_LOCKOUT_SECONDS", 15 * 60)
INVITATION_TTL_DAYS = env_int("INVITATION_TTL_DAYS", 7)

# --- Two-factor (owned by twofactor/) -----------------------------------------------------
# The name authenticator apps show next to the code.
OTP_TOTP_ISSUER = env_str("TWO_FACTOR_ISSUER", "Alignment")
# How long the second step of a log-in may wait after the password was accepted.
TWO_FACTOR_LOGIN_TIMEOUT_SECONDS = env_int("TWO_FACTOR_LOGIN_TIMEOUT_SECONDS", 5 * 60)
# Passkeys: the relying party is the host the browser sees. Unset: the request's host
# (validated by ALLOWED_HOSTS) and its origin. Behind a proxy that rewrites the host, set both.
WEBAUTHN_RP_ID = env_str("WEBAUTHN_RP_ID")
WEBAUTHN_ORIGINS = env_list("WEBAUTHN_ORIGINS", [])
# --- end of two-factor --------------------------------------------------------------------

# --- I18N / static ------------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Files the app writes (attachments); never served by a static route, only through views that
# check the workspace (attachments/views.py).
DATA_DIR = Path(env_str("DATA_DIR", str(BASE_DIR / "data")))
MEDIA_ROOT = DATA_DIR / "media"

# --- Attachments (owned by attachments/) ---------------------------------------------------
# Local disk when no bucket is set (`make run` needs no services); any S3-compatible store
# (AWS S3, MinIO, Ceph, R2, …) through django-storages when ATTACHMENTS_S3_BUCKET is set.
ATTACHMENTS_S3_BUCKET = env_str("ATTACHMENTS_S3_BUCKET")
ATTACHMENTS_STORAGE: dict[str, object]
if ATTACHMENTS_S3_BUCKET:
    ATTACHMENTS_STORAGE = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": ATTACHMENTS_S3_BUCKET,
            "endpoint_url": env_str("ATTACHMENTS_S3_ENDPOINT_URL") or None,
            "region_name": env_str("ATTACHMENTS_S3_REGION") or None,
            "access_key": env_str("ATTACHMENTS_S3_ACCESS_KEY_ID") or None,
            "secret_key": env_str("ATTACHMENTS_S3_SECRET_ACCESS_KEY") or None,
            # MinIO and most self-hosted stores want path-style addressing.
            "addressing_style": env_str("ATTACHMENTS_S3_ADDRESSING_STYLE") or None,
            "location": env_str("ATTACHMENTS_S3_PREFIX", "attachments"),
            # Private objects: every read goes through a permission check first.
            "default_acl": None,
            "querystring_auth": True,
            "querystring_expire": env_int("ATTACHMENTS_S3_URL_SECONDS", 60),
            "file_overwrite": False,
            "signature_version": "s3v4",
        },
    }
else:
    ATTACHMENTS_STORAGE = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(MEDIA_ROOT / "attachments"), "base_url": None},
    }
# Limits: bytes per file, files per upload, files per task.
ATTACHMENTS_MAX_BYTES = env_int("ATTACHMENTS_MAX_BYTES", 25 * 1024 * 1024)
ATTACHMENTS_MAX_FILES_PER_UPLOAD = env_int("ATTACHMENTS_MAX_FILES_PER_UPLOAD", 10)
ATTACHMENTS_MAX_PER_TASK = env_int("ATTACHMENTS_MAX_PER_TASK", 200)
# Serve S3 objects by redirecting to a short-lived presigned URL (after the permission check)
# instead of streaming them through the app. Off by default: the page's CSP (img-src 'self')
# would block inline images from the bucket's origin unless the operator allows it.
ATTACHMENTS_S3_REDIRECT = env_bool("ATTACHMENTS_S3_REDIRECT", False)
# --- end of attachments --------------------------------------------------------------------

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "attachments": ATTACHMENTS_STORAGE,
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or TESTING
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# --- E-mail -------------------------------------------------------------------------------
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if env_str("EMAIL_HOST")
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Alignment <alignment@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Security -----------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
if not DEBUG:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    # /healthz is probed over plain HTTP by the load balancer and compose health checks.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
# No inline script anywhere: htmx config comes from a meta tag, behaviour from static/js.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)

# --- REST API -----------------------------------------------------------------------------
API_PAGE_SIZE = 50
API_MAX_PAGE_SIZE = 200
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "alignment.api_auth.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "alignment.api_ordering.StrictOrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "alignment.api_pagination.CursorPagination",
    "PAGE_SIZE": API_PAGE_SIZE,
    "DEFAULT_SCHEMA_CLASS": "alignment.api_schema.AutoSchema",
    "EXCEPTION_HANDLER": "alignment.api_errors.exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "DEFAULT_THROTTLE_CLASSES": [
        # Token (or user), anonymous address and address limits, counted in one round trip.
        "alignment.api_throttling.ApiRateThrottle",
    ],
}
# "<count>/<period>" per API token (or signed-in user), per anonymous address, per address.
API_RATE_LIMITS = {
    "token": env_str("API_RATE_LIMIT_TOKEN", "600/min"),
    "anon": env_str("API_RATE_LIMIT_ANON", "60/min"),
    "address": env_str("API_RATE_LIMIT_ADDRESS", "1200/min"),
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Alignment API",
    "DESCRIPTION": (
        "Objectives, key results, roadmaps, sprints and tasks of a workspace. "
        "Authenticate with `Authorization: Bearer <token>`; tokens are created on the "
        "API tokens page or with `manage.py create_api_token`."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "alignment.api_base.document_api_conventions",
    ],
    "ENUM_NAME_OVERRIDES": {
        "KeyResultKindEnum": "okrs.models.KeyResultKind",
        "CustomFieldKindEnum": "customfields.models.FieldKind",
        "NewObjectiveStatusEnum": [("draft", "draft"), ("active", "active")],
        "RoadmapItemKindEnum": "roadmaps.models.RoadmapItemKind",
        "RoadmapItemStatusEnum": "roadmaps.models.RoadmapItemStatus",
        "SprintStatusEnum": "tasks.models.SprintStatus",
        "StateCategoryEnum": "tasks.models.StateCategory",
        "StandardModeEnum": "standards.models.Mode",
        "SavedViewScopeEnum": "tasks.saved_views.models.ViewScope",
        "TokenScopeEnum": "alignment.models.TokenScope",
        "SavedViewLayoutEnum": "tasks.saved_views.models.ViewLayout",
        "DocumentTemplateEnum": "documents.models.Template",
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # pysaml2's schema library announces every schema it loads (SAML, sso/saml.py).
        "xmlschema": {"level": "WARNING"},
    },
}

# Trust X-Forwarded-For only when a proxy we run sets it (docker-compose does).
USE_X_FORWARDED_FOR = env_bool("USE_X_FORWARDED_FOR", False)
# How many proxies of ours append to X-Forwarded-For (docker-compose: Caddy, so 1).
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 1)

# Documents (documents/): the largest Yjs update a socket may send, and how many stored
# updates trigger a compaction into the snapshot.
DOCUMENTS_MAX_UPDATE_BYTES = env_int("DOCUMENTS_MAX_UPDATE_BYTES", 262144)
DOCUMENTS_COMPACT_EVERY = env_int("DOCUMENTS_COMPACT_EVERY", 200)
# Seconds after a keystroke before the socket refreshes the document's searchable text and
# mentions (backlinks): once per pause, not once per keystroke.
DOCUMENTS_TEXT_REFRESH_SECONDS = float(env_str("DOCUMENTS_TEXT_REFRESH_SECONDS", "2"))
# The largest awareness frame (one page's caret, selection and name); relayed, never stored.
DOCUMENTS_MAX_AWARENESS_BYTES = env_int("DOCUMENTS_MAX_AWARENESS_BYTES", 4096)
# The assistant (assistant/): an OpenAI-compatible chat-completions endpoint, e.g. a
# self-hosted Ollama ("http://127.0.0.1:11434/v1") or vLLM. Empty base URL: no model, the
# assistant works offline from rules and templates and nothing leaves the server.
ASSISTANT_BASE_URL = env_str("ASSISTANT_BASE_URL", "")
ASSISTANT_MODEL = env_str("ASSISTANT_MODEL", "")
ASSISTANT_API_KEY = env_str("ASSISTANT_API_KEY", "")
ASSISTANT_TIMEOUT = env_int("ASSISTANT_TIMEOUT_SECONDS", 20)
