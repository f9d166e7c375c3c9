"""A throw-away app that plugs into the shell the way every app does, for the tests only.

It has a staff page (``staff.py``), a grant (``grants.py``), a home-page panel
(``panels.py``) and a promise check (``checks.py``), and nothing central names it: a test
adds it to ``INSTALLED_APPS`` and finds each part in the running back office
(``backoffice/tests/test_plugins.py``).
"""
