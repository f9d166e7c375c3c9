"""What every ``privacydesk`` command that acts for a staff member shares: who that is.

The audit log names a person for every access to personal data (P3), so the ``vault`` and
``subject`` commands take ``--user NAME`` before or after their subcommand, defaulting to
``PRIVACYDESK_USER`` (``PRIVACYDESK_CLI_USER`` is the older name, still read).
"""

from __future__ import annotations

import argparse
import os

USER_ENV = "PRIVACYDESK_USER"
OLD_USER_ENV = "PRIVACYDESK_CLI_USER"


def default_user() -> str:
    """The staff user named by the environment, or ""."""
    return os.environ.get(USER_ENV) or os.environ.get(OLD_USER_ENV, "")


def user_option(*, suppress: bool, help: str) -> argparse.ArgumentParser:
    """A parent parser with ``--user`` for the command and every subcommand. In a subcommand
    its default is "not given", so it does not undo a ``--user`` given before the subcommand."""
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument(
        "--user",
        metavar="NAME",
        default=argparse.SUPPRESS if suppress else default_user(),
        help=help,
    )
    return parent
