"""An embedded installation (SQLite and folders in one data directory) for tests that run
``privacydesk`` in real subprocesses.

Migrating a new installation takes seconds, so each test process migrates one, in a real
``privacydesk migrate`` subprocess, the first time a test asks, and every test gets its own
copy of that data directory. Tests of the production path (``test_production``) migrate their
own installation, so the path from nothing stays covered there as well.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

_lock = threading.Lock()
_template: Path | None = None


def subprocess_env(data_dir: Path, *, drop: tuple[str, ...] = ("DATABASE_URL",)) -> dict:
    """The environment of a process of the installation in ``data_dir``: this process's,
    without ``drop`` (by default the test database), with the data directory set."""
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env["PRIVACYDESK_DATA_DIR"] = str(data_dir)
    return env


def _migrated() -> Path:
    global _template
    with _lock:
        if _template is None:
            root = Path(tempfile.mkdtemp(prefix="privacydesk-installation-")) / "data"
            result = subprocess.run(
                [sys.executable, "-m", "privacydesk", "migrate", "-v0"],
                env=subprocess_env(root, drop=("DATABASE_URL", "PRIVACYDESK_PRODUCTION")),
                capture_output=True,
                text=True,
                timeout=300,
            )
            if result.returncode != 0:
                raise AssertionError(f"migrate failed:\n{result.stdout}\n{result.stderr}")
            _template = root
        return _template


def migrated_installation(data_dir: Path) -> Path:
    """Fill ``data_dir`` (new or empty) with a freshly migrated embedded installation and
    return it."""
    shutil.copytree(_migrated(), data_dir, dirs_exist_ok=True)
    return data_dir
