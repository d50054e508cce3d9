"""gunicorn's settings for production mode (``make prod``), from the environment."""

import os

bind = f"127.0.0.1:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("MAPPA_WORKERS", "4"))
threads = int(os.environ.get("MAPPA_THREADS", "1"))
timeout = int(os.environ.get("MAPPA_WORKER_TIMEOUT", "30"))  # a worker stuck longer than this is replaced
graceful_timeout = 10
keepalive = 5
accesslog = None  # the app logs each failure as JSON with its request id; access logs belong to the proxy
errorlog = "-"
preload_app = False  # each worker opens its own database pool
