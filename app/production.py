"""``make prod``: production mode on loopback, runnable on this machine.

Migrates the PostgreSQL database in ``DATABASE_URL`` and publishes the shipped models, then runs gunicorn
(``MAPPA_WORKERS`` workers on 127.0.0.1:``PORT``) and one ``flask mappa scheduler`` process beside it, until
stopped with Ctrl-C or SIGTERM. Configuration comes only from the environment; ``create_app`` refuses to start in
production mode with a missing or short ``SECRET_KEY``, demo users, the clock override or SQLite.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from types import FrameType

FLASK = [sys.executable, "-m", "flask"]


def main() -> int:
    env = dict(os.environ) | {"MAPPA_ENV": "production", "MAPPA_EXPECT_SCHEDULER": "1",
                              "FLASK_APP": "app:create_app"}
    for step in (["db", "upgrade"], ["mappa", "sync-models"]):
        if subprocess.run([*FLASK, *step], env=env, check=False).returncode != 0:  # noqa: S603 - fixed commands
            print(f"make prod: `flask {' '.join(step)}` failed; nothing started", file=sys.stderr)
            return 1
    children = [
        subprocess.Popen([*FLASK, "mappa", "scheduler"], env=env),  # noqa: S603 - fixed commands
        subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "app/gunicorn_conf.py",
                          "app:create_app()"], env=env),
    ]
    print(f"MAPPA Flow (production mode) on http://127.0.0.1:{env.get('PORT', '8000')} "
          f"with {env.get('MAPPA_WORKERS', '4')} workers and one scheduler; Ctrl-C stops it", flush=True)

    def stop(signum: int, _frame: FrameType | None) -> None:
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    codes = [child.wait() for child in children]
    return max(codes)


if __name__ == "__main__":
    sys.exit(main())
