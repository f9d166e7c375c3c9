import io
import os

import pytest

from privacydesk.vault import services


@pytest.fixture(autouse=True)
def _vault_dir(settings, tmp_path):
    settings.VAULT_DIR = tmp_path / "vault"


@pytest.fixture
def technician(db):
    from privacydesk.accounts.roles import TECHNICIAN
    from privacydesk.testing import make_staff

    return make_staff(TECHNICIAN)


@pytest.fixture
def job(technician):
    return services.create_job(
        contact_email="klant@example.nl",
        device="Laptop, 500 GB",
        technician=technician,
        actor="system:test",
    ).job


@pytest.fixture
def put(job):
    """``put(b"data", b"name")`` stores bytes as an item of ``job``."""

    def store(data: bytes, raw_name: bytes = b"file.bin", target=None):
        return services.store(
            target or job, io.BytesIO(data), raw_name=raw_name, actor="system:test"
        )

    return store


@pytest.fixture
def recovered(tmp_path):
    """A recovered tree: a folder, a large file, a name that is not UTF-8, an empty file."""
    root = tmp_path / "recovered"
    (root / "Documents").mkdir(parents=True)
    (root / "Documents" / "offerte.pdf").write_bytes(os.urandom(100_000))
    (root / "photo.jpg").write_bytes(os.urandom(2_000_000))
    with open(os.fsencode(root) + b"/odd-\xff-name", "wb") as fh:
        fh.write(b"not utf-8 name")
    (root / "empty").write_bytes(b"")
    return root
