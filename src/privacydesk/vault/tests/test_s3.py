"""The S3-compatible storage path, against moto's standalone server over real HTTP.

No S3 server can be installed here; moto's server stands in for S3/MinIO (docs/operations.md).
"""

import io
import os

import boto3
import pytest
from moto.server import ThreadedMotoServer

from privacydesk.testing import free_port
from privacydesk.vault import erasure, services, storage
from privacydesk.vault.models import VaultItem

BUCKET = "privacydesk-vault"


@pytest.fixture(scope="module")
def s3_endpoint():
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def s3(settings, s3_endpoint):
    client = boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        region_name="eu-west-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    bucket = f"{BUCKET}-{os.urandom(4).hex()}"
    client.create_bucket(
        Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
    )
    settings.VAULT_STORAGE = "s3"
    settings.STORAGES = {
        **settings.STORAGES,
        "vault": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": bucket,
                "endpoint_url": s3_endpoint,
                "region_name": "eu-west-1",
                "access_key": "test",
                "secret_key": "test",
                "location": "vault",
                "file_overwrite": False,
                "default_acl": None,
            },
        },
    }
    storage._backend.cache_clear()
    yield client, bucket
    storage._backend.cache_clear()


def _keys(client, bucket):
    return [o["Key"] for o in client.list_objects_v2(Bucket=bucket).get("Contents", [])]


def test_store_and_read_through_s3(s3, put):
    client, bucket = s3
    data = os.urandom(12 * 1024 * 1024)  # more than one multipart part
    item = put(data, b"disk.img")
    assert _keys(client, bucket) == [f"vault/{item.blob}"]
    body = client.get_object(Bucket=bucket, Key=f"vault/{item.blob}")["Body"].read()
    assert body.startswith(b"age-encryption.org/v1\n") and data[:1000] not in body
    out = io.BytesIO()
    out.write(b"".join(services.plaintext(item)))
    assert out.getvalue() == data


def test_an_object_is_invisible_until_its_upload_completes(s3, db):
    client, bucket = s3
    with storage.writing("blob.age") as out:
        for _ in range(3):  # 12 MiB: the first part is sent while writing
            out.write(b"\0" * (4 * 1024 * 1024))
        assert _keys(client, bucket) == []
        [upload] = client.list_multipart_uploads(Bucket=bucket)["Uploads"]
        parts = client.list_parts(Bucket=bucket, Key=upload["Key"], UploadId=upload["UploadId"])
        assert [p["Size"] for p in parts["Parts"]] == [8 * 1024 * 1024]
    assert _keys(client, bucket) == ["vault/blob.age"]
    assert storage.size_of("blob.age") == 12 * 1024 * 1024
    assert client.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []


def test_failed_upload_leaves_no_object(s3, job):
    client, bucket = s3

    class Broken(io.RawIOBase):
        sent = 0

        def readable(self):
            return True

        def readinto(self, buffer):
            if self.sent > 11 * 1024 * 1024:
                raise OSError("disk read error")
            n = len(buffer)
            buffer[:n] = b"\0" * n
            self.sent += n
            return n

    with pytest.raises(OSError, match="disk read error"):
        services.store(job, Broken(), raw_name=b"dying-disk.img", actor="system:test")
    assert _keys(client, bucket) == []
    assert client.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []
    assert not VaultItem.objects.exists()


def test_sweep_erases_objects_and_unfinished_uploads(s3, put):
    client, bucket = s3
    item = put(b"x" * 1000)
    client.create_multipart_upload(Bucket=bucket, Key="vault/killed-upload.age")
    from datetime import datetime, timedelta

    from django.utils import timezone

    after = timezone.make_aware(
        datetime.combine(item.expires_on + timedelta(days=1), datetime.min.time())
    )
    report = erasure.sweep(now=after, leftover_age_seconds=0)
    assert report.items_erased == 1 and report.leftovers_removed == 1
    assert _keys(client, bucket) == []
    assert client.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []


def test_tampered_object_is_detected(s3, put):
    client, bucket = s3
    item = put(os.urandom(100_000))
    key = f"vault/{item.blob}"
    blob = bytearray(client.get_object(Bucket=bucket, Key=key)["Body"].read())
    blob[len(blob) // 2] ^= 1
    client.put_object(Bucket=bucket, Key=key, Body=bytes(blob))
    with pytest.raises(services.ContentMismatch):
        b"".join(services.plaintext(item))


def test_a_range_is_read_from_its_chunk_on(s3, put):
    """A ranged GET fetches the payload from the chunk that holds the first byte."""
    data = os.urandom(300_000)
    item = put(data)
    first = 3 * 64 * 1024 + 5
    assert b"".join(services.plaintext(item, first, 250_000)) == data[first:250_001]
    assert b"".join(services.plaintext(item, 0, 9)) == data[:10]
