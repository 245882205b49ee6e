"""Cataligent settings: one module, every value from the environment.

Defaults are for a developer's laptop (`make demo`): SQLite and a broker that
needs no server. Production sets DATABASE_URL, REDIS_URL, SECRET_KEY,
FIELD_ENCRYPTION_KEY and ALLOWED_HOSTS; without SECRET_KEY the app refuses to
start unless DEBUG is on.
"""

from __future__ import annotations

from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from kombu import Exchange, Queue

from cataligent.env import env_bool, env_int, env_list, env_str
from cataligent.sso_groups import parse_group_map

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("CATALIGENT_VAR_DIR", str(BASE_DIR / "var")) or BASE_DIR / "var")

DEBUG = env_bool("DEBUG", False)

SECRET_KEY = env_str("SECRET_KEY") or ""
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "django-insecure-development-only-key-do-not-use-in-production"

# Fernet key(s) for connector secrets at rest, comma-separated: the first one
# encrypts, all of them decrypt (so a key can be rotated). In DEBUG a key is
# derived from SECRET_KEY so the demo needs no set-up.
FIELD_ENCRYPTION_KEY = env_list("FIELD_ENCRYPTION_KEY", [])

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "cataligent",
    "dependencies",
    "objectives",
    "integrations",
    "reports",
]

MIDDLEWARE = [
    "cataligent.middleware.RequestIdMiddleware",
    "cataligent.middleware.OperationsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "cataligent.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "cataligent.middleware.RefuseHostileQueryMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "cataligent.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "cataligent.middleware.ApiVersionMiddleware",
]

ROOT_URLCONF = "cataligent.urls"
WSGI_APPLICATION = "cataligent.wsgi.application"

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
                "cataligent.context_processors.roles",
                "cataligent.context_processors.sign_in",
            ],
            "builtins": ["cataligent.templatetags.money", "cataligent.templatetags.people"],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The demo's web app, worker and beat share one SQLite file: WAL lets readers
    # run beside a writer, IMMEDIATE transactions queue writers instead of failing.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# --- Single sign-on (OpenID Connect; cataligent/sso.py) and local passwords --------
# The provider's endpoints come from OIDC_ISSUER's discovery document, fetched when
# first needed and cached (cataligent/sso_provider.py).
OIDC_ISSUER = env_str("OIDC_ISSUER", "") or ""
OIDC_CLIENT_ID = env_str("OIDC_CLIENT_ID", "") or ""
OIDC_CLIENT_SECRET = env_str("OIDC_CLIENT_SECRET", "") or ""
OIDC_PROVIDER_NAME = env_str("OIDC_PROVIDER_NAME", "") or "single sign-on"
OIDC_SCOPES = env_str("OIDC_SCOPES", "") or "openid email profile"
OIDC_ROLES_CLAIM = env_str("OIDC_ROLES_CLAIM", "") or "groups"
# {"<IdP group>": ["admin" | "leadership" | "team_lead" | "team:<team slug>", ...]}
OIDC_GROUP_MAP = parse_group_map(env_str("OIDC_GROUP_MAP", "") or "", name="OIDC_GROUP_MAP")
OIDC_DISCOVERY_CACHE_SECONDS = env_int("OIDC_DISCOVERY_CACHE_SECONDS", 3600)
LOCAL_LOGIN = env_bool("LOCAL_LOGIN", True)
if OIDC_ISSUER and not (OIDC_CLIENT_ID and OIDC_CLIENT_SECRET):
    raise ImproperlyConfigured("OIDC_ISSUER needs OIDC_CLIENT_ID and OIDC_CLIENT_SECRET.")
if not LOCAL_LOGIN and not OIDC_ISSUER:
    raise ImproperlyConfigured("LOCAL_LOGIN=0 needs single sign-on: set OIDC_ISSUER.")
# mozilla-django-oidc's own settings: the authorization code flow with PKCE (S256),
# state and nonce; ID tokens signed with RS256 (the algorithm every provider offers).
OIDC_RP_CLIENT_ID = OIDC_CLIENT_ID
OIDC_RP_CLIENT_SECRET = OIDC_CLIENT_SECRET
OIDC_RP_SCOPES = OIDC_SCOPES
OIDC_RP_SIGN_ALGO = "RS256"
OIDC_USE_NONCE = True
OIDC_USE_PKCE = True
OIDC_PKCE_CODE_CHALLENGE_METHOD = "S256"
OIDC_AUTHENTICATION_CALLBACK_URL = "sso-callback"
LOGIN_REDIRECT_URL_FAILURE = "login"

AUTHENTICATION_BACKENDS = [
    # Without LOCAL_LOGIN no password is checked, so sessions begun with one end too.
    *(["django.contrib.auth.backends.ModelBackend"] if LOCAL_LOGIN else []),
    # Inert unless OIDC_ISSUER is set and the provider's callback is being handled.
    "cataligent.sso.SingleSignOnBackend",
    "cataligent.backends.AdminRoleBackend",
]
# Password guessing (cataligent/signin_limits.py): this many failed sign-ins within
# the window lock the account, or the client address, out for LOGIN_LOCKOUT_MINUTES
# (0 switches a limit off). The address is REMOTE_ADDR: behind a reverse proxy, list
# the proxy's address in TRUSTED_PROXIES so the client's is read from X-Forwarded-For.
LOGIN_FAILURES_PER_ACCOUNT = env_int("LOGIN_FAILURES_PER_ACCOUNT", 10)
LOGIN_FAILURES_PER_ADDRESS = env_int("LOGIN_FAILURES_PER_ADDRESS", 50)
LOGIN_FAILURE_WINDOW_MINUTES = env_int("LOGIN_FAILURE_WINDOW_MINUTES", 15)
LOGIN_LOCKOUT_MINUTES = env_int("LOGIN_LOCKOUT_MINUTES", 15)
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES", [])
if LOGIN_LOCKOUT_MINUTES < 1 or LOGIN_FAILURE_WINDOW_MINUTES < 1:
    raise ImproperlyConfigured(
        "LOGIN_LOCKOUT_MINUTES and LOGIN_FAILURE_WINDOW_MINUTES must be at least 1."
    )
# API tokens (cataligent/api_tokens.py) expire after API_TOKEN_DAYS unless their
# creator asks for another lifetime, up to API_TOKEN_MAX_DAYS.
API_TOKEN_DAYS = env_int("API_TOKEN_DAYS", 90)
API_TOKEN_MAX_DAYS = env_int("API_TOKEN_MAX_DAYS", 365)
if not 1 <= API_TOKEN_DAYS <= API_TOKEN_MAX_DAYS:
    raise ImproperlyConfigured("API_TOKEN_DAYS must be between 1 and API_TOKEN_MAX_DAYS.")
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("TIME_ZONE", "UTC") or "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT") or BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        # Hashed, compressed files in production (needs `collectstatic`).
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG and env_bool("STATIC_MANIFEST", True)
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# --- Security: on by default, relaxed only for local development -------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True  # htmx sends the token from the page (hx-headers), not the cookie
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)

# --- Email -------------------------------------------------------------------
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "") or ""
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "") or ""
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Cataligent <cataligent@localhost>")
SITE_URL = (env_str("SITE_URL", "http://localhost:8000") or "").rstrip("/")

# --- REST API ------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first: its WWW-Authenticate header makes anonymous requests 401, not 403.
        "cataligent.api.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["cataligent.api.permissions.PolicyPermission"],
    "DEFAULT_PAGINATION_CLASS": "cataligent.api.pagination.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    # Refuse NUL characters, lone surrogates and too-deep JSON in every body (parsers.py).
    "DEFAULT_PARSER_CLASSES": [
        "cataligent.api.parsers.JSONParser",
        "cataligent.api.parsers.FormParser",
        "cataligent.api.parsers.MultiPartParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "cataligent.api.schema.AutoSchema",
    "EXCEPTION_HANDLER": "cataligent.api.errors.exception_handler",
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Cataligent API",
    "DESCRIPTION": "Business objectives, the capabilities they need, the technical dependencies "
    "beneath them, and which of those are blocked.",
    "VERSION": "1",
    # Only /api/v1/ is documented; the unversioned /api/ aliases are deprecated.
    "PREPROCESSING_HOOKS": ["cataligent.api.versions.only_versioned_endpoints"],
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "StateEnum": "dependencies.choices.State",
        "CriticalityEnum": "dependencies.choices.Criticality",
    },
}

# --- Celery --------------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = None
else:
    # No server needed: kombu's filesystem transport keeps messages in files,
    # so `make demo` runs a real worker and beat with nothing installed.
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(VAR_DIR / "broker"),
        "data_folder_out": str(VAR_DIR / "broker"),
        "processed_folder": str(VAR_DIR / "broker-processed"),
        "control_folder": str(VAR_DIR / "broker-control"),
        "store_processed": False,
    }
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_TIME_LIMIT = 900  # a hard limit on every task; each task may set a lower one
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = "cataligent"
# Separate queues so that production runs a worker pool per kind of work (deploy/,
# docs/operations.md): a long sync never delays a recompute or an escalation e-mail.
# A worker started without `-Q` (the demo's single worker) consumes every queue listed.
# Each queue its own exchange and routing key: left out, Celery binds every queue to the
# default's, and a message meant for one could be delivered to all of them.
CELERY_TASK_QUEUES = [
    Queue(name, Exchange(name, type="direct"), routing_key=name)
    for name in ("cataligent", "sync", "recompute", "notifications")
]
CELERY_TASK_ROUTES = {
    "integrations.tasks.sync_connector_task": {"queue": "sync"},
    "dependencies.tasks.recompute_impact": {"queue": "recompute"},
    "dependencies.tasks.escalate_task": {"queue": "notifications"},
    "dependencies.tasks.send_notifications": {"queue": "notifications"},
    "dependencies.tasks.send_pending_notifications": {"queue": "notifications"},
    "objectives.tasks.remind_overdue_updates_task": {"queue": "notifications"},
    "reports.tasks.send_leadership_digest": {"queue": "notifications"},
    # Anything else (schedule_syncs: quick, every 15 s) goes to the default queue.
}
if REDIS_URL:
    # kombu's Redis transport with a fix that keeps the worker up when Redis restarts
    # under running tasks (cataligent/broker.py); sentinel:// keeps kombu's own.
    if REDIS_URL.startswith(("redis://", "rediss://")):
        CELERY_BROKER_TRANSPORT = "cataligent.broker:Transport"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        # Well above the longest task time limit, or Redis redelivers running tasks.
        "visibility_timeout": 7200,
        # A Redis that stops answering (not just refusing) is noticed, not waited on forever.
        "socket_timeout": 30,
        "socket_connect_timeout": 5,
        "health_check_interval": 25,
    }
# A broker outage is waited out, however long, at start-up as after: the worker and beat
# reconnect on their own instead of exiting (Celery's default gives up after 100 tries).
CELERY_BROKER_CONNECTION_RETRY = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
CELERY_BEAT_SCHEDULE = {
    # Hourly, but each objective is reminded at most once a day (the event key has the date).
    "remind-overdue-updates": {
        "task": "objectives.tasks.remind_overdue_updates_task",
        "schedule": 3600.0,
    },
    "escalate": {"task": "dependencies.tasks.escalate_task", "schedule": 60.0},
    # Hourly; sends once DIGEST_WEEKDAY's DIGEST_HOUR has come, once per ISO week and leader.
    "leadership-digest": {"task": "reports.tasks.send_leadership_digest", "schedule": 3600.0},
    "send-pending-notifications": {
        "task": "dependencies.tasks.send_pending_notifications",
        "schedule": 60.0,
    },
    # Queues every enabled connector whose poll interval has passed, and marks runs
    # whose worker died as interrupted (PostgreSQL, not the broker, is the truth).
    "schedule-syncs": {
        "task": "integrations.tasks.schedule_syncs",
        "schedule": float(env_int("SYNC_SCHEDULE_SECONDS", 15)),
    },
    # The safety net behind the on-commit trigger: a change whose task was lost
    # (broker restart, a process killed right after its commit) is computed within
    # a minute. Cheap when nothing changed: the worker updates incrementally.
    "recompute-impact": {
        "task": "dependencies.tasks.recompute_impact",
        "schedule": float(env_int("RECOMPUTE_SCHEDULE_SECONDS", 60)),
        "kwargs": {"force": True},
    },
}

# --- Connectors ----------------------------------------------------------------
# Outbound calls to loopback and private networks are refused unless allowed
# (the demo and the tests talk to a simulator on 127.0.0.1).
CONNECTOR_ALLOW_PRIVATE_NETWORKS = env_bool("CONNECTOR_ALLOW_PRIVATE_NETWORKS", False)

# How long a sync or a recompute holds its lease without renewing it (cataligent/leases.py).
# The holder renews it after every page and on a timer, so a killed worker holds its
# connector (or the recompute) this long at most before the next run takes over.
SYNC_LEASE_SECONDS = env_int("SYNC_LEASE_SECONDS", 30)
RECOMPUTE_LEASE_SECONDS = env_int("RECOMPUTE_LEASE_SECONDS", 30)
for _name in ("SYNC_LEASE_SECONDS", "RECOMPUTE_LEASE_SECONDS"):
    if globals()[_name] < 1:
        raise ImproperlyConfigured(f"{_name} must be at least 1 second.")
# After a failure, how long the sync's closing writes (release, outcome) are retried while
# the database is away before the lease is left to run out.
SYNC_BOOKKEEPING_RETRY_SECONDS = env_int("SYNC_BOOKKEEPING_RETRY_SECONDS", 120)
# Every connector is read in full and compared with the mirror once a day, at this hour
# (UTC, 0-23; -1 turns it off): it repairs what incremental syncs missed and reports it.
SYNC_RECONCILE_HOUR = env_int("SYNC_RECONCILE_HOUR", 3)
if not -1 <= SYNC_RECONCILE_HOUR <= 23:
    raise ImproperlyConfigured("SYNC_RECONCILE_HOUR must be an hour 0-23, or -1 for never.")

# --- Money -----------------------------------------------------------------------
# The one currency of every value at stake, at risk or lost (ISO 4217 code).
CURRENCY = (env_str("CURRENCY", "USD") or "USD").upper()
if len(CURRENCY) != 3 or not CURRENCY.isalpha():
    raise ImproperlyConfigured(f"CURRENCY must be an ISO 4217 code such as USD, not {CURRENCY!r}.")

# --- Execution reports (DESIGN §2) -------------------------------------------------
# The window when none is asked for.
REPORT_WINDOW_DAYS = env_int("REPORT_WINDOW_DAYS", 30)
# green-red: a disconnect is at least this share of resolved supporting tickets meeting SLA ...
REPORT_SLA_MET_PCT = env_int("REPORT_SLA_MET_PCT", 90)
# ... while the item was blocked at least this many hours of the window; also how long a node
# must stay blocked after a ticket's resolution for "resolved but still blocked".
REPORT_MIN_BLOCKED_HOURS = env_int("REPORT_MIN_BLOCKED_HOURS", 24)
# shadow-ops: a blocked or degraded item with no ticket activity and no status update this long.
REPORT_STALE_DAYS = env_int("REPORT_STALE_DAYS", 14)
# shadow-ops: reassigned this often is ping-pong; a P1/P2 opened and resolved this fast is
# retro-logged.
REPORT_PING_PONG_REASSIGNMENTS = env_int("REPORT_PING_PONG_REASSIGNMENTS", 3)
REPORT_RETRO_LOGGED_MINUTES = env_int("REPORT_RETRO_LOGGED_MINUTES", 5)
# The weekly leadership digest: ISO weekday (1 = Monday) and hour, in TIME_ZONE.
DIGEST_WEEKDAY = env_int("DIGEST_WEEKDAY", 1)
DIGEST_HOUR = env_int("DIGEST_HOUR", 8)
if not 1 <= DIGEST_WEEKDAY <= 7 or not 0 <= DIGEST_HOUR <= 23:
    raise ImproperlyConfigured("DIGEST_WEEKDAY must be 1-7 (Monday = 1) and DIGEST_HOUR 0-23.")
if not 0 <= REPORT_SLA_MET_PCT <= 100:
    raise ImproperlyConfigured("REPORT_SLA_MET_PCT must be a percentage 0-100.")

# --- Escalations -----------------------------------------------------------------
# An item blocked with no escalation policy goes to leadership after this long.
ESCALATION_DEFAULT_MINUTES = env_int("ESCALATION_DEFAULT_MINUTES", 60)
# Optional Slack- or Teams-compatible incoming webhook that gets every escalation.
ESCALATION_WEBHOOK_URL = env_str("ESCALATION_WEBHOOK_URL", "") or ""
# What it takes: "teams" (an Adaptive Card), "slack" ({"text": ...}), or "auto" (Teams
# for Microsoft's webhook hosts, dependencies/escalations/notifications.py, else Slack).
ESCALATION_WEBHOOK_FORMAT = env_str("ESCALATION_WEBHOOK_FORMAT", "auto") or "auto"
if ESCALATION_WEBHOOK_FORMAT not in ("auto", "teams", "slack"):
    raise ImproperlyConfigured("ESCALATION_WEBHOOK_FORMAT must be auto, teams or slack")

# --- Cache: shared by every process (sign-in failure counts) ---------------------
if REDIS_URL:
    # The broker's Redis. Never call cache.clear(): it would flush the broker's queues too.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "cataligent-cache",
        }
    }
else:
    # The table is created after every `migrate` (cataligent.apps, createcachetable).
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "cataligent_cache",
            # Well above the default 300, past which entries are culled at random: a
            # burst of keys must not wipe out the failure counts of the sign-in limits.
            "OPTIONS": {"MAX_ENTRIES": 100_000},
        }
    }

# --- Logs and metrics --------------------------------------------------------------
# LOG_FORMAT=json: one JSON object a line with the request id (which follows the request
# into the tasks it queues), the user, the connector and the sync run (cataligent/log_context.py).
LOG_FORMAT = (env_str("LOG_FORMAT", "plain") or "plain").lower()
if LOG_FORMAT not in ("plain", "json"):
    raise ImproperlyConfigured(f"LOG_FORMAT must be plain or json, not {LOG_FORMAT!r}.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"context": {"()": "cataligent.log_context.ContextFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
        "json": {"()": "cataligent.log_format.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["context"],
        }
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # One line per outbound request is too much at INFO; failures are logged by the sync.
        "httpx": {"level": "WARNING"},
        # One line per request, with its id and user, where logs are collected (runserver
        # and the demo print their own).
        "cataligent.access": {"level": "INFO" if LOG_FORMAT == "json" else "WARNING"},
    },
}
# /metrics answers only `Authorization: Bearer <METRICS_TOKEN>`; unset, there is no endpoint.
METRICS_TOKEN = env_str("METRICS_TOKEN", "") or ""
