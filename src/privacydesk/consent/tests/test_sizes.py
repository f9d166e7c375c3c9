"""The banner and the tracker stay small (issue: banner and its CSS at most 10 kB gzipped
together, the tracker at most 2 kB), so consent costs a visitor almost nothing to load."""

import gzip
from pathlib import Path

from django.contrib.staticfiles import finders

BANNER_LIMIT = 10 * 1024
TRACKER_LIMIT = 2 * 1024


def gzipped(*names: str) -> int:
    data = b"".join(Path(finders.find(name)).read_bytes() for name in names)
    return len(gzip.compress(data, compresslevel=9))


def test_banner_and_css_within_10_kb_gzipped():
    size = gzipped("consent/banner.js", "consent/banner.css")
    assert size <= BANNER_LIMIT, f"banner.js + banner.css are {size} bytes gzipped"


def test_tracker_within_2_kb_gzipped():
    size = gzipped("tracking/t.js")
    assert size <= TRACKER_LIMIT, f"t.js is {size} bytes gzipped"
