"""One way to write a size, for every output: CLI, portal, staff pages and e-mails.

Decimal SI units (1 kB = 1000 bytes), one decimal, as disks are sold and as the CLI's
progress bar (rich) counts, so the customer, the technician and the terminal see the same
number for the same file (a 200,000,000-byte file is "200.0 MB" everywhere, never
"190.7 MB" in one place). The decimal separator follows the language of the page
("200,0 MB" in Dutch); the CLI speaks English.
"""

from __future__ import annotations

from django.utils.formats import number_format
from django.utils.translation import ngettext

UNITS = ("kB", "MB", "GB", "TB", "PB", "EB")


def format_size(size: int, *, nbsp: bool = False) -> str:
    """``size`` bytes as text: ``999 bytes``, ``1.0 kB``, ``200.0 MB``, ``1.5 TB``.

    ``nbsp`` joins number and unit with a no-break space (HTML pages: never split a size).
    """
    space = "\xa0" if nbsp else " "
    size = max(int(size), 0)
    if size < 1000:
        unit = ngettext("byte", "bytes", size)
        return f"{size}{space}{unit}"
    for exponent, unit in enumerate(UNITS, start=1):
        if size < 1000 ** (exponent + 1) or unit == UNITS[-1]:
            return f"{number_format(size / 1000**exponent, 1)}{space}{unit}"
    raise AssertionError("unreachable")
