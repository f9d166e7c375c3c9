"""The age v1 file format (c2sp.org/age) for X25519 recipients, streamed in large batches.

Vault items are plain age files: the Debian ``age`` CLI, rage and pyrage read them with the
item's identity, and this module reads theirs (the tests check both directions). The
primitives are ``cryptography``'s (X25519, HKDF-SHA-256, HMAC-SHA-256, ChaCha20-Poly1305 from
OpenSSL); this module only lays out the format around them:

* **header**: a fresh 128-bit file key, wrapped for the recipient in an X25519 stanza, and an
  HMAC over the header;
* **payload**: a 16-byte nonce, then the plaintext in 64 KiB chunks, each sealed with
  ChaCha20-Poly1305 under a key derived from file key and nonce; the chunk's number and a
  "last chunk" flag form its nonce, so chunks cannot be reordered, dropped or cut off without
  the next decryption failing.

Why not pyrage's stream functions: they pull the plaintext through a Python file object 8 KiB
per call and ran at about half the ``age`` CLI's speed here; the vault must keep pace with
the disk for disk images of hundreds of GB. Here a batch of 16 chunks is read, hashed and
sealed per step. Because every chunk is sealed on its own, a decryption can also start at
any chunk (HTTP Range requests resume a download without decrypting what came before).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import queue
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

import bech32
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

VERSION_LINE = b"age-encryption.org/v1"
CHUNK = 64 * 1024  #: plaintext bytes per payload chunk
TAG = 16  #: Poly1305 tag per chunk
SEALED = CHUNK + TAG  #: stored bytes per full chunk
NONCE = 16  #: payload nonce, right after the header
BATCH = 16  #: chunks read, sealed or opened per step (1 MiB of plaintext)
MAX_HEADER = 64 * 1024  #: a header longer than this is refused (ours are ~200 bytes)
_ZERO_NONCE = bytes(12)
_X25519_INFO = b"age-encryption.org/v1/X25519"
_IDENTITY_HRP = "age-secret-key-"
_RECIPIENT_HRP = "age"
_B64_CHARS = re.compile(rb"^[A-Za-z0-9+/]*$")


class AgeError(Exception):
    """A file that cannot be decrypted: not age, not for this identity, damaged or cut off."""


class HeaderError(AgeError):
    """The header is malformed, unsupported or fails its MAC."""


class NoMatchingIdentity(AgeError):
    """No stanza in the header opens with the given identity (a wrong key)."""


class PayloadError(AgeError):
    """A payload chunk fails authentication: the file was changed, truncated or extended."""


# -- keys --------------------------------------------------------------------------------
def _bech32_encode(hrp: str, data: bytes) -> str:
    return bech32.bech32_encode(hrp, bech32.convertbits(data, 8, 5))


def _bech32_decode(text: str, hrp: str) -> bytes:
    found_hrp, words = bech32.bech32_decode(text.strip())
    if found_hrp != hrp or words is None:
        raise ValueError(f"not an age key of type {hrp!r}")
    data = bech32.convertbits(words, 5, 8, False)
    if data is None or len(data) != 32:
        raise ValueError("an age key holds 32 bytes")
    return bytes(data)


@dataclass(frozen=True)
class Recipient:
    """An X25519 public key (``age1…``): what a file is encrypted to."""

    public: bytes

    @classmethod
    def parse(cls, text: str) -> Recipient:
        return cls(_bech32_decode(text, _RECIPIENT_HRP))

    def __str__(self) -> str:
        return _bech32_encode(_RECIPIENT_HRP, self.public)


@dataclass(frozen=True)
class Identity:
    """An X25519 secret key (``AGE-SECRET-KEY-1…``): what opens a file."""

    secret: bytes = field(repr=False)

    @classmethod
    def generate(cls) -> Identity:
        return cls(X25519PrivateKey.generate().private_bytes_raw())

    @classmethod
    def parse(cls, text: str) -> Identity:
        return cls(_bech32_decode(text, _IDENTITY_HRP))

    def __str__(self) -> str:
        return _bech32_encode(_IDENTITY_HRP, self.secret).upper()

    def _key(self) -> X25519PrivateKey:
        return X25519PrivateKey.from_private_bytes(self.secret)

    def to_public(self) -> Recipient:
        return Recipient(self._key().public_key().public_bytes_raw())


# -- pieces of the format ----------------------------------------------------------------
def _hkdf(ikm: bytes, salt: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=info).derive(ikm)


def _b64(data: bytes) -> bytes:
    return base64.b64encode(data).rstrip(b"=")


def _unb64(text: bytes) -> bytes:
    """Canonical unpadded base64, as the format demands; anything else is refused."""
    if not _B64_CHARS.match(text) or len(text) % 4 == 1:
        raise HeaderError("malformed base64 in the header")
    data = base64.b64decode(text + b"=" * (-len(text) % 4))
    if _b64(data) != text:
        raise HeaderError("non-canonical base64 in the header")
    return data


def _header_mac(file_key: bytes, header_to_dashes: bytes) -> bytes:
    return hmac.digest(_hkdf(file_key, b"", b"header"), header_to_dashes, "sha256")


def _payload_aead(file_key: bytes, nonce: bytes) -> ChaCha20Poly1305:
    return ChaCha20Poly1305(_hkdf(file_key, nonce, b"payload"))


def _chunk_nonce(counter: int, last: bool) -> bytes:
    return counter.to_bytes(11, "big") + (b"\x01" if last else b"\x00")


def _read_full(source: BinaryIO, n: int) -> bytes:
    """Up to ``n`` bytes; fewer only at the end (sockets, pipes and S3 bodies read short)."""
    data = source.read(n)
    if data is None:
        data = b""
    if len(data) == n or not data:
        return data
    parts = [data]
    have = len(data)
    while have < n:
        more = source.read(n - have)
        if not more:
            break
        parts.append(more)
        have += len(more)
    return b"".join(parts)


# -- encryption --------------------------------------------------------------------------
@dataclass(frozen=True)
class Sealed:
    """What :func:`encrypt` read: the plaintext's size and SHA-256."""

    size: int
    sha256: str


def _x25519_stanza(recipient: Recipient, file_key: bytes) -> bytes:
    ephemeral = X25519PrivateKey.generate()
    share = ephemeral.public_key().public_bytes_raw()
    shared = ephemeral.exchange(X25519PublicKey.from_public_bytes(recipient.public))
    wrap_key = _hkdf(shared, share + recipient.public, _X25519_INFO)
    body = ChaCha20Poly1305(wrap_key).encrypt(_ZERO_NONCE, file_key, None)
    return b"-> X25519 " + _b64(share) + b"\n" + _b64(body) + b"\n"


class BackgroundSha256:
    """SHA-256 in a second thread, so hashing overlaps encryption (hashlib releases the GIL).

    ``update`` hands over immutable ``bytes``; a bounded queue keeps memory constant.
    """

    def __init__(self, depth: int = 2):
        self._digest = hashlib.sha256()
        self._queue: queue.Queue = queue.Queue(maxsize=depth)
        self._thread = threading.Thread(target=self._run, name="vault-sha256", daemon=True)
        self._thread.start()
        self._done = False

    def _run(self) -> None:
        update = self._digest.update
        get = self._queue.get
        while (data := get()) is not None:
            for piece in data:
                update(piece)

    def update(self, *pieces: bytes) -> None:
        self._queue.put(pieces)

    def hexdigest(self) -> str:
        self.close()
        return self._digest.hexdigest()

    def close(self) -> None:
        if not self._done:
            self._done = True
            self._queue.put(None)
            self._thread.join()


def encrypt(
    source: BinaryIO,
    target: BinaryIO,
    recipient: Recipient,
    *,
    progress: Callable[[int], None] | None = None,
) -> Sealed:
    """Stream ``source`` as an age file for ``recipient`` into ``target``; constant memory.

    The plaintext's SHA-256 is taken on the way, in a second thread (the vault stores it);
    ``progress`` gets the number of plaintext bytes after every batch.
    """
    file_key = os.urandom(16)
    header = VERSION_LINE + b"\n" + _x25519_stanza(recipient, file_key) + b"---"
    nonce = os.urandom(NONCE)
    target.write(header + b" " + _b64(_header_mac(file_key, header)) + b"\n" + nonce)
    seal = _payload_aead(file_key, nonce).encrypt
    # A target with ``writev`` takes a batch in one call (see ``storage``); others piecewise.
    writev = getattr(target, "writev", None) or (lambda pieces: [target.write(p) for p in pieces])
    digest = BackgroundSha256()
    size = 0
    counter = 0
    # The last chunk read waits ("carry") until the next read shows whether it is the final
    # one; an empty file has one final chunk, empty.
    carry = b""
    try:
        while data := _read_full(source, BATCH * CHUNK):
            digest.update(data)
            size += len(data)
            sealed = []
            if carry:
                sealed.append(seal(_chunk_nonce(counter, False), carry, None))
                counter += 1
            view = memoryview(data)
            starts = range(0, len(data), CHUNK)
            for start in starts[:-1]:
                sealed.append(seal(_chunk_nonce(counter, False), view[start : start + CHUNK], None))
                counter += 1
            carry = bytes(view[starts[-1] :])
            writev(sealed)
            if progress is not None:
                progress(len(data))
        writev([seal(_chunk_nonce(counter, True), carry, None)])
    finally:
        digest.close()
    return Sealed(size=size, sha256=digest.hexdigest())


# -- decryption --------------------------------------------------------------------------
@dataclass
class _Stanza:
    args: list[bytes]
    body: bytes


def _split_header(source: BinaryIO) -> tuple[bytes, bytes]:
    """The header (through the MAC line) and whatever was read beyond it."""
    data = b""
    while True:
        end = data.find(b"\n---")
        if end != -1:
            newline = data.find(b"\n", end + 4)
            if newline != -1:
                return data[: newline + 1], data[newline + 1 :]
        if len(data) > MAX_HEADER:
            raise HeaderError("no end of header (not an age file?)")
        more = source.read(4096)
        if not more:
            raise HeaderError("the file ends inside its header (not an age file?)")
        data += more


def _parse_header(header: bytes) -> tuple[list[_Stanza], bytes, bytes]:
    """Stanzas, the bytes the MAC covers and the MAC."""
    lines = header[:-1].split(b"\n")
    if lines[0] != VERSION_LINE:
        if lines[0].startswith(b"age-encryption.org/"):
            raise HeaderError("unsupported age version")
        raise HeaderError("not an age file")
    stanzas: list[_Stanza] = []
    i = 1
    while i < len(lines) and lines[i].startswith(b"-> "):
        args = lines[i][3:].split(b" ")
        if not all(args) or any(b < 0x21 or b > 0x7E for arg in args for b in arg):
            raise HeaderError("malformed stanza arguments")
        i += 1
        body_lines = []
        while True:
            if i >= len(lines):
                raise HeaderError("stanza body without end")
            line = lines[i]
            i += 1
            if len(line) > 64:
                raise HeaderError("stanza body line too long")
            body_lines.append(line)
            if len(line) < 64:
                break
        stanzas.append(_Stanza(args, _unb64(b"".join(body_lines))))
    if not stanzas:
        raise HeaderError("no recipient stanza")
    if i != len(lines) - 1 or not lines[i].startswith(b"--- "):
        raise HeaderError("malformed header end")
    mac_text = lines[i][4:]
    if len(mac_text) != 43:
        raise HeaderError("malformed header MAC")
    covered = header[: len(header) - len(mac_text) - 2]  # up to and including "---"
    return stanzas, covered, _unb64(mac_text)


def _file_key(stanzas: list[_Stanza], identities: list[Identity]) -> bytes:
    if any(s.args[0] == b"scrypt" for s in stanzas):
        raise HeaderError("passphrase-encrypted files are not supported")
    for stanza in stanzas:
        if stanza.args[0] != b"X25519":
            continue  # other recipient types are ignored, as the format says
        if len(stanza.args) != 2:
            raise HeaderError("malformed X25519 stanza")
        share = _unb64(stanza.args[1])
        if len(share) != 32 or len(stanza.body) != 32:
            raise HeaderError("malformed X25519 stanza")
        for identity in identities:
            key = identity._key()
            try:
                shared = key.exchange(X25519PublicKey.from_public_bytes(share))
            except ValueError as exc:  # an all-zero shared secret (a low-order share)
                raise HeaderError("invalid X25519 share") from exc
            if not any(shared):
                raise HeaderError("invalid X25519 share")
            ours = key.public_key().public_bytes_raw()
            wrap_key = _hkdf(shared, share + ours, _X25519_INFO)
            try:
                return ChaCha20Poly1305(wrap_key).decrypt(_ZERO_NONCE, stanza.body, None)
            except InvalidTag:
                continue
    raise NoMatchingIdentity("no identity matches this file (a wrong key?)")


class Opened:
    """An age file whose header was read and checked; its payload comes out of :meth:`chunks`."""

    def __init__(self, source: BinaryIO, identities: list[Identity]):
        self.source = source
        header, rest = _split_header(source)
        stanzas, covered, mac = _parse_header(header)
        file_key = _file_key(stanzas, identities)
        if not hmac.compare_digest(_header_mac(file_key, covered), mac):
            raise HeaderError("header MAC mismatch: the header was changed")
        self.header_size = len(header)
        #: The payload starts at this offset in the file.
        self.payload_offset = len(header) + NONCE
        while len(rest) < NONCE:
            more = source.read(NONCE - len(rest))
            if not more:
                raise PayloadError("the file ends before its payload")
            rest += more
        self._open = _payload_aead(file_key, rest[:NONCE]).decrypt
        self._pending = rest[NONCE:]
        self._first = 0
        self._started = False

    def chunk_offset(self, index: int) -> int:
        """Where chunk ``index`` starts in the file."""
        return self.payload_offset + index * SEALED

    def seek_chunk(self, index: int, source: BinaryIO | None = None) -> None:
        """Start :meth:`batches` at chunk ``index``: from ``source``, already positioned at
        :meth:`chunk_offset` (e.g. a ranged request), or by seeking the file itself."""
        if self._started:
            raise RuntimeError("seek before reading")
        if source is None:
            self.source.seek(self.chunk_offset(index))
        else:
            self.source = source
        self._pending = b""
        self._first = index

    def batches(self) -> Iterator[list[bytes]]:
        """The plaintext, authenticated, as lists of up to ``BATCH`` chunks.

        Raises :class:`PayloadError` at the first chunk that fails (after yielding the
        authentic chunks before it), and at the end of the file unless a valid final chunk
        was read: nothing unauthenticated is ever yielded.
        """
        self._started = True
        source = self.source
        counter = self._first
        data = self._pending + _read_full(source, BATCH * SEALED - len(self._pending))
        self._pending = b""
        if not data:
            raise PayloadError("the payload is missing (truncated file)")
        # The last chunk read waits ("carry") until the next read shows whether it must be
        # the final one.
        carry = b""
        while data:
            opened: list[bytes] = []
            try:
                if carry:
                    opened.append(self._open_chunk(counter, carry, last=False))
                    counter += 1
                view = memoryview(data)
                starts = range(0, len(data), SEALED)
                for start in starts[:-1]:
                    opened.append(self._open_chunk(counter, view[start : start + SEALED], False))
                    counter += 1
            except PayloadError:
                if opened:  # the chunks before a failure are authentic; then the error
                    yield opened
                raise
            carry = bytes(view[starts[-1] :])
            if opened:
                yield opened
            data = _read_full(source, BATCH * SEALED)
        final = self._open_chunk(counter, carry, last=True)
        if not final and counter > 0:
            raise PayloadError("an empty final chunk after data")
        yield [final]

    def _open_chunk(self, counter: int, sealed, last: bool) -> bytes:
        if len(sealed) < TAG:
            raise PayloadError("the last chunk is cut off (truncated file)")
        try:
            return self._open(_chunk_nonce(counter, last), sealed, None)
        except InvalidTag:
            raise PayloadError(
                f"chunk {counter} fails authentication (the file was changed or cut off)"
            ) from None

    def chunks(self) -> Iterator[bytes]:
        """The plaintext, authenticated, chunk by chunk (64 KiB each but the last)."""
        for opened in self.batches():
            yield from opened


def open_file(source: BinaryIO, identity: Identity | list[Identity]) -> Opened:
    """Read and check the header of the age file ``source``; raises :class:`AgeError`."""
    return Opened(source, identity if isinstance(identity, list) else [identity])


def decrypt(
    source: BinaryIO,
    write: Callable[[bytes], object],
    identity: Identity | list[Identity],
) -> int:
    """Stream the plaintext of the age file ``source`` into ``write``; returns its size.

    Raises :class:`AgeError` on a wrong key, a damaged or a truncated file, possibly after
    part of the plaintext was written (every part written was authenticated): callers write
    to a temporary place and keep it only if this returns.
    """
    size = 0
    for opened in open_file(source, identity).batches():
        for chunk in opened:
            write(chunk)
            size += len(chunk)
    return size
