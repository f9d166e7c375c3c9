"""Privacydesk settings: everything from the environment, read through :mod:`privacydesk.conf`.

See docs/operations.md for the variables. Embedded mode (the default) needs none of them.
"""

from datetime import timedelta
from pathlib import Path

from django.utils.translation import gettext_lazy as _

from privacydesk import conf

PACKAGE_DIR = Path(__file__).resolve().parent

PRODUCTION = conf.env_bool("PRIVACYDESK_PRODUCTION", False)
DEBUG = conf.env_bool("DEBUG", False)
if PRODUCTION and DEBUG:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("DEBUG must be off when PRIVACYDESK_PRODUCTION is on")

DATA_DIR = conf.data_dir()
SECRET_KEY = conf.secret_key(DATA_DIR, production=PRODUCTION)
ALLOWED_HOSTS = conf.env_list(
    "ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost", "[::1]", "testserver"]
)
if PRODUCTION and not ALLOWED_HOSTS:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("ALLOWED_HOSTS must list the site's host names in production")
CSRF_TRUSTED_ORIGINS = conf.env_list("CSRF_TRUSTED_ORIGINS", [])
SITE_URL = conf.site_url(DATA_DIR)

INSTALLED_APPS = [
    "privacydesk.backoffice.apps.StaffAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_otp",
    # Third-party apps shown in the back office, under names in the page's language.
    "privacydesk.third_party_apps.TOTPConfig",
    "privacydesk.third_party_apps.AxesConfig",
    "csp",
    "django_tasks",
    "privacydesk.third_party_apps.TasksDBConfig",
    "privacydesk.accounts",
    "privacydesk.audit",
    "privacydesk.jobs",
    "privacydesk.policy",
    "privacydesk.vault",
    "privacydesk.consent",
    "privacydesk.tracking",
    "privacydesk.rights",
    "privacydesk.crm",
    "privacydesk.registers",
    "privacydesk.promises",
    "privacydesk.mailings",
    "privacydesk.backoffice",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "privacydesk.backoffice.middleware.PrivacydeskLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "privacydesk.urls"
WSGI_APPLICATION = "privacydesk.wsgi.application"
AUTH_USER_MODEL = "accounts.User"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
                "privacydesk.backoffice.context.public_menu",
            ],
        },
    },
]

DATABASES = {"default": conf.database(DATA_DIR)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Authentication (P3): Argon2, lock-out after repeated failures, TOTP for every staff user.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "admin:login"
# Two locks (docs/operations.md, "Sign-in lock-out"): one per account and client address
# (AXES_FAILURE_LIMIT), and one per account across all addresses (ACCOUNTS_ACCOUNT_FAILURE_LIMIT,
# ten times higher by default), which caps guessing from many addresses without letting one
# attacker's address lock a colleague out. accounts.lockout.AccountCapHandler applies both.
AXES_FAILURE_LIMIT = conf.env_int("PRIVACYDESK_LOGIN_FAILURE_LIMIT", 5, minimum=1)
ACCOUNTS_ACCOUNT_FAILURE_LIMIT = conf.env_int(
    "PRIVACYDESK_LOGIN_ACCOUNT_FAILURE_LIMIT", 10 * AXES_FAILURE_LIMIT, minimum=AXES_FAILURE_LIMIT
)
AXES_COOLOFF_TIME = timedelta(minutes=conf.env_int("PRIVACYDESK_LOGIN_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], ["username"]]
AXES_HANDLER = "privacydesk.accounts.lockout.AccountCapHandler"
AXES_ENABLE_ADMIN = False  # accounts/admin_signin.py registers audited, admin-only pages
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_SENSITIVE_PARAMETERS = ["password", "otp_token"]
OTP_TOTP_ISSUER = "Privacydesk"
OTP_ADMIN_HIDE_SENSITIVE_DATA = True  # and accounts/admin_signin.py replaces the device admin
# Invitation and password-reset links (accounts/credentials.py) work once, for this long.
PASSWORD_RESET_TIMEOUT = 3600 * conf.env_int("PRIVACYDESK_PASSWORD_LINK_HOURS", 48, minimum=1)
OTP_TOTP_THROTTLE_FACTOR = 1
SESSION_COOKIE_AGE = conf.env_int("PRIVACYDESK_SESSION_SECONDS", 8 * 3600, minimum=300)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# --- Internationalisation: Dutch first, English beside it.
LANGUAGE_CODE = "nl"
LANGUAGES = [("nl", _("Dutch")), ("en", _("English"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = "Europe/Amsterdam"
USE_I18N = True
USE_TZ = True

# --- Files.
STATIC_URL = "static/"
# The project's own stylesheets belong to no single app: the finders (embedded mode) and
# ``collectstatic`` (the manifest of production mode) find them here.
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
MEDIA_ROOT = DATA_DIR / "media"
OUTBOX_DIR = DATA_DIR / "outbox"
KEYRING_DIR = DATA_DIR / "keyring"
# Uploads larger than 2.5 MB are spooled here before the vault encrypts them: a private folder
# on the data volume (not a shared /tmp); the vault sweep removes what a killed process left.
FILE_UPLOAD_TEMP_DIR = DATA_DIR / "uploads"
FILE_UPLOAD_TEMP_DIR.mkdir(exist_ok=True, mode=0o700)
FILE_UPLOAD_PERMISSIONS = 0o600
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = not PRODUCTION

# --- E-mail: one EMAIL_URL, or the local outbox that staff read in the back office.
_email = conf.email()
EMAIL_BACKEND = _email.backend
EMAIL_HOST = _email.host
EMAIL_PORT = _email.port
EMAIL_HOST_USER = _email.user
EMAIL_HOST_PASSWORD = _email.password
EMAIL_USE_TLS = _email.use_tls
EMAIL_USE_SSL = _email.use_ssl
EMAIL_TIMEOUT = 30
DEFAULT_FROM_EMAIL = conf.env_str("DEFAULT_FROM_EMAIL", "coMPjoeter <verkoop@compjoeter.nl>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Background jobs (django-tasks with the database backend of django-tasks-db).
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": []}}
JOBS_MAX_ATTEMPTS = conf.env_int("PRIVACYDESK_JOB_ATTEMPTS", 3, minimum=1)
JOBS_RETRY_DELAY_SECONDS = conf.env_int("PRIVACYDESK_JOB_RETRY_SECONDS", 60, minimum=0)
JOBS_STALE_WORKER_SECONDS = conf.env_int("PRIVACYDESK_STALE_WORKER_SECONDS", 300, minimum=30)

# --- Vault (P4). The retention must equal the privacy model's (``policy check``).
VAULT_RETENTION = conf.env_duration("PRIVACYDESK_VAULT_RETENTION", "P1M")
VAULT_DIR = DATA_DIR / "vault"
VAULT_STORAGE = conf.env_choice("PRIVACYDESK_VAULT_STORAGE", "local", ["local", "s3"])
if VAULT_STORAGE == "s3":
    # django-storages' S3 backend; any S3-compatible service (AWS, MinIO, Ceph, ...).
    STORAGES["vault"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": conf.env_required("PRIVACYDESK_S3_BUCKET"),
            "endpoint_url": conf.env_str("PRIVACYDESK_S3_ENDPOINT_URL") or None,
            "region_name": conf.env_str("PRIVACYDESK_S3_REGION") or None,
            "access_key": conf.env_secret("PRIVACYDESK_S3_ACCESS_KEY_ID"),
            "secret_key": conf.env_secret("PRIVACYDESK_S3_SECRET_ACCESS_KEY"),
            "location": conf.env_str("PRIVACYDESK_S3_PREFIX", "vault"),
            "file_overwrite": False,
            "default_acl": None,
            "querystring_auth": False,
        },
    }
VAULT_MASTER_KEY = conf.vault_master_key(DATA_DIR, production=PRODUCTION)
VAULT_SIGNING_KEY = conf.signing_key_pem(DATA_DIR, production=PRODUCTION)
# Keys of the pseudonymous data-subject references in the audit log, newest first.
PSEUDONYM_KEYS = conf.pseudonym_keys(DATA_DIR, production=PRODUCTION)
VAULT_REMINDER_DAYS = conf.env_int("PRIVACYDESK_VAULT_REMINDER_DAYS", 7, minimum=1)
VAULT_PIN_ATTEMPTS = conf.env_int("PRIVACYDESK_VAULT_PIN_ATTEMPTS", 5, minimum=1)

# --- Consent banner and first-party tracking (P1, P7, P13).
# Pages of these origins may embed the banner and the tracker with one <script> tag.
EMBED_ORIGINS = conf.embed_origins()
# Cookies set by the banner (on this site or on an embedding site); the cookie statement and
# ``policy check`` hold them to the privacy model.
PRIVACYDESK_COOKIES = ["pd_consent"]
# More decisions per minute from one network (IPv4 /24, IPv6 /48) or for one consent id than
# this are refused (429, per web process): nothing is recorded for them.
CONSENT_NETWORK_PER_MINUTE = conf.env_int("PRIVACYDESK_CONSENT_NETWORK_PER_MINUTE", 60, minimum=1)
CONSENT_ID_PER_MINUTE = conf.env_int("PRIVACYDESK_CONSENT_ID_PER_MINUTE", 10, minimum=1)
# Events are written in batches by each web process, at most this long after they arrived
# (0: written within the request).
TRACKING_FLUSH_MS = conf.env_int("PRIVACYDESK_TRACKING_FLUSH_MS", 200, minimum=0)
# How long a web process may reuse the consent records' answer for a visitor (the batch is
# checked again before it is written; 0: every event asks the database).
TRACKING_CONSENT_CACHE_MS = conf.env_int("PRIVACYDESK_TRACKING_CONSENT_CACHE_MS", 1000, minimum=0)
# A visitor (consent id) or a client address sending more events per minute is refused (429).
TRACKING_VISITOR_PER_MINUTE = conf.env_int(
    "PRIVACYDESK_TRACKING_VISITOR_PER_MINUTE", 120, minimum=1
)
TRACKING_ADDRESS_PER_MINUTE = conf.env_int(
    "PRIVACYDESK_TRACKING_ADDRESS_PER_MINUTE", 1200, minimum=1
)
# Gated downloads: how long the signed link to a file works, the largest file staff may
# upload, and how many download forms one client address may send per minute.
DOWNLOADS_LINK_HOURS = conf.env_int("PRIVACYDESK_DOWNLOADS_LINK_HOURS", 24, minimum=1)
DOWNLOADS_MAX_MB = conf.env_int("PRIVACYDESK_DOWNLOADS_MAX_MB", 50, minimum=1)
DOWNLOADS_PER_MINUTE = conf.env_int("PRIVACYDESK_DOWNLOADS_PER_MINUTE", 20, minimum=1)
# --- Data-subject requests (P14): the mailbox polled for 'persoonsgegevens', link lifetimes.
IMAP_URL = conf.imap(env_value=conf.env_secret("IMAP_URL"))
RIGHTS_KEYWORD = "persoonsgegevens"
RIGHTS_VERIFY_SECONDS = conf.env_int("PRIVACYDESK_RIGHTS_VERIFY_HOURS", 72, minimum=1) * 3600
RIGHTS_PACKAGE_SECONDS = conf.env_int("PRIVACYDESK_RIGHTS_PACKAGE_DAYS", 14, minimum=1) * 86400
RIGHTS_FORM_LIMIT = conf.env_int("PRIVACYDESK_RIGHTS_FORM_LIMIT", 5, minimum=1)
# --- Newsletter (P6): docs/operations.md, "Newsletter".
MAILINGS_CONFIRM_HOURS = conf.env_int("PRIVACYDESK_MAILINGS_CONFIRM_HOURS", 72, minimum=1)
MAILINGS_RATE = conf.env_int("PRIVACYDESK_MAILINGS_RATE", 10, minimum=0)  # messages/s, 0: no limit
MAILINGS_RETRY_SECONDS = conf.env_int("PRIVACYDESK_MAILINGS_RETRY_SECONDS", 300, minimum=0)
MAILINGS_MAX_ATTEMPTS = conf.env_int("PRIVACYDESK_MAILINGS_MAX_ATTEMPTS", 5, minimum=1)
MAILINGS_CLAIM_SECONDS = conf.env_int("PRIVACYDESK_MAILINGS_CLAIM_SECONDS", 120, minimum=1)
MAILINGS_TICK_SECONDS = conf.env_int("PRIVACYDESK_MAILINGS_TICK_SECONDS", 60, minimum=1)
MAILINGS_PUBLIC_LIST = conf.env_str("PRIVACYDESK_MAILINGS_PUBLIC_LIST", "nieuwsbrief")
MAILINGS_SIGNUP_WINDOW_SECONDS = 3600
MAILINGS_SIGNUP_LIMIT_PER_IP = conf.env_int(
    "PRIVACYDESK_MAILINGS_SIGNUPS_PER_NETWORK", 20, minimum=1
)
MAILINGS_SIGNUP_LIMIT_PER_ADDRESS = conf.env_int(
    "PRIVACYDESK_MAILINGS_SIGNUPS_PER_ADDRESS", 3, minimum=1
)

# --- Security headers (P3). CSP everywhere; production adds HSTS and secure cookies.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
CSRF_FAILURE_VIEW = "privacydesk.errors.csrf_failure"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
if PRODUCTION:
    SECURE_SSL_REDIRECT = conf.env_bool("PRIVACYDESK_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = conf.env_int("PRIVACYDESK_HSTS_SECONDS", 31536000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"
BEHIND_PROXY = conf.env_bool("PRIVACYDESK_BEHIND_PROXY", False)
if BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    USE_X_FORWARDED_HOST = True
    # The client address for the sign-in lock-out is taken from X-Forwarded-For by
    # django-ipware. Each trusted proxy appends the address it received the request from, so
    # with N proxies the client is the N-th entry from the right; anything to its left was
    # written by the client and is ignored (ipware counts the proxies listed in the header,
    # which is one fewer than the proxies in front, the last being REMOTE_ADDR). Without the
    # header (a request that bypassed the proxy) there is no client address; the per-account
    # lock still applies. REMOTE_ADDR is not a fallback: it is the proxy, shared by everyone.
    TRUSTED_PROXIES = conf.env_int("PRIVACYDESK_TRUSTED_PROXIES", 1, minimum=1)
    AXES_IPWARE_PROXY_ORDER = "left-most"
    AXES_IPWARE_PROXY_COUNT = TRUSTED_PROXIES - 1
    AXES_IPWARE_META_PRECEDENCE_ORDER = ["HTTP_X_FORWARDED_FOR"]
    IPWARE_STRICT = False  # a client may prepend its own entries; they are skipped, not fatal
else:
    TRUSTED_PROXIES = 0
    AXES_IPWARE_META_PRECEDENCE_ORDER = ["REMOTE_ADDR"]

# --- Logging: every handler masks personal data (P1, P3).
LOG_LEVEL = conf.env_str("LOG_LEVEL", "INFO").upper()
if LOG_LEVEL not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(
        f"LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR, got {LOG_LEVEL!r}"
    )
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact": {"()": "privacydesk.redaction.RedactPersonalData"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["redact"],
            "formatter": "plain",
        },
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django": {"handlers": ["console"], "level": LOG_LEVEL, "propagate": False},
        "django_tasks": {"handlers": ["console"], "level": LOG_LEVEL, "propagate": False},
        "django_tasks_db": {"handlers": ["console"], "level": LOG_LEVEL, "propagate": False},
        "axes": {"handlers": ["console"], "level": "WARNING", "propagate": False},
    },
}
