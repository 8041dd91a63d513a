"""Environment for `make bench`: the app's own settings on a separate database, DEBUG off.

SQLite file var/bench.sqlite3 (or BENCH_DATABASE) unless DATABASE_URL names PostgreSQL; the demo
database var/dealflow.sqlite3 is never touched. Call `configure()` before Django starts."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def configure() -> None:
    var_dir = Path(os.environ.get("DEALFLOW_VAR_DIR", ROOT / "var"))
    os.environ["SQLITE_PATH"] = os.environ.get("BENCH_DATABASE") or str(var_dir / "bench.sqlite3")
    os.environ["DEBUG"] = "0"
    os.environ["ALLOWED_HOSTS"] = "testserver,127.0.0.1,localhost"
    os.environ["DJANGO_SETTINGS_MODULE"] = "dealflow.settings"


if __name__ == "__main__":
    # `python bench/settings.py` prints the environment for shell use (see the Makefile).
    configure()
    for key in ("SQLITE_PATH", "DEBUG", "ALLOWED_HOSTS", "DJANGO_SETTINGS_MODULE"):
        print(f"export {key}={os.environ[key]!s}")
