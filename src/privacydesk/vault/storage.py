"""Where encrypted blobs live: a local directory by default, S3-compatible storage when it grows.

Writes are crash-safe on both. Locally a blob is written to a temporary name, fsynced and
renamed into place; on S3 it is a multipart upload, invisible until completed. The database
row is committed only after that. A write killed half-way leaves a temporary file or an
unfinished upload that no row points to; ``leftovers`` finds those for the sweep.
"""

from __future__ import annotations

import ctypes
import os
import queue
import secrets
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import BinaryIO

from django.conf import settings

TMP_PREFIX = ".partial-"
#: Buffer for copies of whole blobs (the vault's own reads and writes go in 1 MiB batches).
BUFFER = 1024 * 1024


def _sync_file_range():
    """Linux's ``sync_file_range``, or None where libc has none."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        function = libc.sync_file_range
    except (OSError, AttributeError):
        return None
    function.argtypes = [ctypes.c_int, ctypes.c_int64, ctypes.c_int64, ctypes.c_uint]
    function.restype = ctypes.c_int
    return function


_SYNC_FILE_RANGE = _sync_file_range() if sys.platform.startswith("linux") else None
_SYNC_FILE_RANGE_WRITE = 2
#: A blob's write-back starts every this many bytes, while the next ones are encrypted.
WRITE_BEHIND = 32 * 1024 * 1024


def write_all(fd: int, pieces: list[bytes]) -> None:
    """Write ``pieces`` to ``fd`` in one ``writev`` call (it releases the GIL, and nothing is
    copied in Python); a short write, rare on files, is finished piece by piece."""
    written = os.writev(fd, pieces) if pieces else 0
    total = sum(map(len, pieces))
    if written == total:
        return
    for piece in pieces:
        if written >= len(piece):
            written -= len(piece)
            continue
        view = memoryview(piece)[written:]
        written = 0
        while view:
            view = view[os.write(fd, view) :]


class _WriteBehind:
    """A file being written whose pages go to the disk while encryption goes on.

    Every ``WRITE_BEHIND`` bytes a helper thread asks the kernel to write the new range back
    (``sync_file_range``), so the ``fsync`` before the row is committed finds little left to
    do instead of a whole disk image in the page cache. The request is made from a thread of
    its own because it blocks while the disk's queue is full: encryption never waits for the
    disk, only the final ``fsync`` does.
    """

    def __init__(self, fd: int):
        self._fd = fd
        self._written = 0
        self._started = 0
        self._ranges: queue.SimpleQueue | None = None
        self._thread: threading.Thread | None = None
        if _SYNC_FILE_RANGE is not None:
            self._ranges = queue.SimpleQueue()
            self._thread = threading.Thread(target=self._run, name="vault-writeback", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while (span := self._ranges.get()) is not None:
            _SYNC_FILE_RANGE(self._fd, span[0], span[1], _SYNC_FILE_RANGE_WRITE)

    def write(self, data) -> int:
        self.writev([data])
        return len(data)

    def writev(self, pieces: list[bytes]) -> None:
        write_all(self._fd, pieces)
        self._written += sum(map(len, pieces))
        if self._ranges is not None and self._written - self._started >= WRITE_BEHIND:
            self._ranges.put((self._started, self._written - self._started))
            self._started = self._written

    def flush(self) -> None:
        """Nothing is buffered."""

    def close(self) -> None:
        """Stop the helper (before the file is closed: it uses the descriptor)."""
        if self._thread is not None:
            self._ranges.put(None)
            self._thread.join()
            self._thread = None


class LocalBlobs:
    """Blobs as files in ``VAULT_DIR``."""

    def __init__(self, directory: Path):
        self.directory = Path(directory)

    def _dir(self) -> Path:
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        return self.directory

    def path_of(self, name: str) -> Path:
        if "/" in name or name.startswith("."):
            raise ValueError("not a blob name")
        return self._dir() / name

    @contextmanager
    def writing(self, name: str) -> Iterator[BinaryIO]:
        final = self.path_of(name)
        tmp = final.with_name(f"{TMP_PREFIX}{name}.{secrets.token_hex(4)}")
        fh = open(tmp, "xb", buffering=0)  # noqa: SIM115 - closed below, on all paths
        behind = _WriteBehind(fh.fileno())
        try:
            yield behind
            behind.close()
            os.fsync(fh.fileno())
            fh.close()
            os.replace(tmp, final)
            dir_fd = os.open(final.parent, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)
        except BaseException:
            behind.close()
            fh.close()
            tmp.unlink(missing_ok=True)
            raise

    def open(self, name: str, start: int = 0) -> BinaryIO:
        fh = open(self.path_of(name), "rb", buffering=0)  # noqa: SIM115 - the caller closes
        if start:
            fh.seek(start)
        return fh

    def delete(self, name: str) -> bool:
        path = self.path_of(name)
        if path.exists():
            path.unlink()
            return True
        return False

    def exists(self, name: str) -> bool:
        return self.path_of(name).exists()

    def size(self, name: str) -> int:
        return self.path_of(name).stat().st_size

    def names(self, older_than_seconds: float = 0) -> Iterator[str]:
        cutoff = time.time() - older_than_seconds
        for path in self._dir().iterdir():
            if not path.name.startswith(".") and path.stat().st_mtime <= cutoff:
                yield path.name

    def remove_leftovers(self, older_than_seconds: float) -> int:
        cutoff = time.time() - older_than_seconds
        removed = 0
        for path in self._dir().glob(f"{TMP_PREFIX}*"):
            if path.stat().st_mtime < cutoff:
                path.unlink(missing_ok=True)
                removed += 1
        return removed


class _MultipartUpload:
    """An object written as an S3 multipart upload (boto3's public calls): parts are sent as
    they fill, and the object exists only once :meth:`complete` is called."""

    #: The first parts' size (S3 wants at least 5 MiB for all but the last); parts double in
    #: size every 1,000, so a disk image never reaches S3's limit of 10,000 parts.
    FIRST_PART = 8 * 1024 * 1024

    def __init__(self, client, bucket: str, key: str, parameters: dict):
        self._client, self._where = client, {"Bucket": bucket, "Key": key}
        upload = client.create_multipart_upload(**self._where, **parameters)
        self._where["UploadId"] = upload["UploadId"]
        self._parts: list[dict] = []
        self._buffer = bytearray()

    def _part_size(self) -> int:
        return self.FIRST_PART << (len(self._parts) // 1000)

    def write(self, data) -> int:
        self._buffer += data
        while len(self._buffer) >= self._part_size():
            size = self._part_size()
            self._send(bytes(self._buffer[:size]))
            del self._buffer[:size]
        return len(data)

    def _send(self, body: bytes) -> None:
        number = len(self._parts) + 1
        sent = self._client.upload_part(**self._where, PartNumber=number, Body=body)
        self._parts.append({"PartNumber": number, "ETag": sent["ETag"]})

    def complete(self) -> None:
        if self._buffer or not self._parts:
            self._send(bytes(self._buffer))
        self._client.complete_multipart_upload(
            **self._where, MultipartUpload={"Parts": self._parts}
        )

    def abort(self) -> None:
        self._client.abort_multipart_upload(**self._where)


class S3Blobs:
    """Blobs as objects in an S3-compatible bucket: django-storages' S3 backend for its
    settings, bucket and simple calls; boto3's multipart API for writes."""

    def __init__(self, storage):
        self.storage = storage

    @property
    def bucket(self):
        return self.storage.bucket

    def key(self, name: str) -> str:
        if "/" in name or name.startswith(".") or not name:
            raise ValueError("not a blob name")
        return f"{self.storage.location.strip('/')}/{name}".lstrip("/")

    @contextmanager
    def writing(self, name: str) -> Iterator[BinaryIO]:
        parameters = {"ContentType": "application/octet-stream"}
        if self.storage.default_acl:
            parameters["ACL"] = self.storage.default_acl
        parameters.update(self.storage.get_object_parameters(name))
        upload = _MultipartUpload(
            self.bucket.meta.client, self.bucket.name, self.key(name), parameters
        )
        try:
            yield upload
            upload.complete()
        except BaseException:
            # A failed write must not become a visible (truncated) object.
            upload.abort()
            raise

    def open(self, name: str, start: int = 0) -> BinaryIO:
        """A streaming body from byte ``start`` on: read in pieces, never the whole object."""
        obj = self.bucket.Object(self.key(name))
        return (obj.get(Range=f"bytes={start}-") if start else obj.get())["Body"]

    def delete(self, name: str) -> bool:
        existed = self.exists(name)
        self.storage.delete(name)
        return existed

    def exists(self, name: str) -> bool:
        return self.storage.exists(name)

    def size(self, name: str) -> int:
        return self.storage.size(name)

    def names(self, older_than_seconds: float = 0) -> Iterator[str]:
        cutoff = datetime.now(UTC) - timedelta(seconds=older_than_seconds)
        prefix = self.key("x")[:-1]
        for obj in self.bucket.objects.filter(Prefix=prefix):
            if obj.last_modified <= cutoff:
                yield obj.key[len(prefix) :]

    def remove_leftovers(self, older_than_seconds: float) -> int:
        cutoff = datetime.now(UTC) - timedelta(seconds=older_than_seconds)
        removed = 0
        for upload in self.bucket.multipart_uploads.all():
            if upload.initiated < cutoff:
                upload.abort()
                removed += 1
        return removed


@lru_cache(maxsize=8)
def _backend(kind: str, location: str):
    if kind == "s3":
        from django.core.files.storage import storages

        return S3Blobs(storages["vault"])
    return LocalBlobs(Path(location))


def backend() -> LocalBlobs | S3Blobs:
    return _backend(settings.VAULT_STORAGE, str(settings.VAULT_DIR))


# Module-level shorthands: the vault's code speaks of blobs, not of backends.
def writing(name: str):
    return backend().writing(name)


def open_blob(name: str, start: int = 0) -> BinaryIO:
    return backend().open(name, start)


def delete(name: str) -> bool:
    return backend().delete(name)


def exists(name: str) -> bool:
    return backend().exists(name)


def size_of(name: str) -> int:
    return backend().size(name)


def names(older_than_seconds: float = 0) -> Iterator[str]:
    return backend().names(older_than_seconds)


def remove_leftovers(older_than_seconds: float) -> int:
    return backend().remove_leftovers(older_than_seconds)
