"""Database access: the piccolo engine, the embedded PostgreSQL, migrations and RLS DDL helpers."""

import os

# Tables find the engine through piccolo's configuration module; point piccolo at ours before any
# query runs. An explicit PICCOLO_CONF (e.g. a test harness) wins.
os.environ.setdefault("PICCOLO_CONF", "pawpay.platform.db.piccolo_conf")
