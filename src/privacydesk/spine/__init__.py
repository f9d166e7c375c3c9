"""The spine: what every app builds on and the shell reads, importing no app of its own.

- ``registry``: the personal-data registry API (sources, declarations, the coverage check);
- ``panels``: ``@panel`` for the back office's home page;
- ``admin_base``: the read-only ``ModelAdmin``;
- ``roles``: the four role names and the grants each app declares in its ``grants.py``;
- ``staff``: the pages each app hangs under /staff/ from its ``staff.py``;
- ``checks``: the ``privacydesk`` tag of Django's system checks (``policy check``);
- ``plugins``: finding an app's plug-in module; ``cli``: the shared ``--user`` option;
- ``mail``: the header that marks a message carrying a sign-in link.

import-linter (``[tool.importlinter]`` in pyproject.toml) keeps this package at the bottom:
it may import Django and the standard library, never a Privacydesk app. docs/architecture.md
draws the layers.
"""
