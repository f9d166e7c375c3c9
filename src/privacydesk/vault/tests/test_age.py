"""The age v1 format: interoperability with the age CLI and pyrage, and every kind of damage.

The reference implementations decide what is right: files we write must open with ``age -d``
and pyrage, files they write must open with ours, byte for byte, at every size around the
chunk (64 KiB) and batch (1 MiB) boundaries.
"""

import hashlib
import io
import os
import subprocess

import pyrage
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pyrage import x25519

from privacydesk.vault import age

CHUNK = age.CHUNK
BATCH_BYTES = age.BATCH * CHUNK
SIZES = [
    0,
    1,
    CHUNK - 1,
    CHUNK,
    CHUNK + 1,
    2 * CHUNK,
    BATCH_BYTES - 1,
    BATCH_BYTES,
    BATCH_BYTES + 1,
    2 * BATCH_BYTES + CHUNK,
    3_000_001,
]


@pytest.fixture(scope="module")
def keypair():
    identity = age.Identity.generate()
    return identity, identity.to_public()


def encrypted(data: bytes, recipient: age.Recipient) -> bytes:
    out = io.BytesIO()
    sealed = age.encrypt(io.BytesIO(data), out, recipient)
    assert sealed.size == len(data)
    assert sealed.sha256 == hashlib.sha256(data).hexdigest()
    return out.getvalue()


def decrypted(blob: bytes, identity: age.Identity) -> bytes:
    out = io.BytesIO()
    assert age.decrypt(io.BytesIO(blob), out.write, identity) == len(out.getvalue())
    return out.getvalue()


# -- keys --------------------------------------------------------------------------------
def test_keys_are_the_same_text_as_ages(tmp_path):
    identity = age.Identity.generate()
    assert str(identity).startswith("AGE-SECRET-KEY-1") and len(str(identity)) == 74
    key = tmp_path / "key.txt"
    key.write_text(f"{identity}\n")
    by_cli = subprocess.run(["age-keygen", "-y", key], capture_output=True, text=True, check=True)
    assert by_cli.stdout.strip() == str(identity.to_public())
    assert str(x25519.Identity.from_str(str(identity)).to_public()) == str(identity.to_public())
    assert age.Identity.parse(str(identity)) == identity
    assert age.Recipient.parse(str(identity.to_public())) == identity.to_public()


@pytest.mark.parametrize(
    "text",
    [
        "",
        "AGE-SECRET-KEY-1",
        "age1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq",  # a recipient, not a key
        "AGE-SECRET-KEY-1GFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPQ4EGAEY",  # checksum
        "AGE-SECRET-KEY-1gfpyysjzgfpyysjzGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPQ4EGAEX",  # mixed case
    ],
)
def test_malformed_identities_are_refused(text):
    with pytest.raises(ValueError):
        age.Identity.parse(text)


def test_the_specifications_example_identity():
    identity = age.Identity.parse(
        "AGE-SECRET-KEY-1GFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPQ4EGAEX"
    )
    assert str(identity.to_public()) == (
        "age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwj"
    )


# -- interoperability --------------------------------------------------------------------
@pytest.mark.parametrize("size", SIZES)
def test_age_cli_and_pyrage_read_our_files(size, keypair, tmp_path):
    identity, recipient = keypair
    data = os.urandom(size)
    blob = encrypted(data, recipient)
    assert pyrage.decrypt(blob, [x25519.Identity.from_str(str(identity))]) == data
    key = tmp_path / "key.txt"
    key.write_text(f"{identity}\n")
    by_cli = subprocess.run(["age", "-d", "-i", key], input=blob, capture_output=True, check=True)
    assert by_cli.stdout == data


@pytest.mark.parametrize("size", SIZES)
def test_we_read_files_of_the_age_cli_and_pyrage(size, keypair):
    identity, recipient = keypair
    data = os.urandom(size)
    by_cli = subprocess.run(
        ["age", "-r", str(recipient)], input=data, capture_output=True, check=True
    ).stdout
    assert decrypted(by_cli, identity) == data
    by_pyrage = pyrage.encrypt(data, [x25519.Recipient.from_str(str(recipient))])
    assert decrypted(by_pyrage, identity) == data


def test_a_file_for_several_recipients_opens_with_any_of_them(tmp_path):
    ours = age.Identity.generate()
    other = x25519.Identity.generate()
    data = os.urandom(100_000)
    blob = pyrage.encrypt(
        data, [other.to_public(), x25519.Recipient.from_str(str(ours.to_public()))]
    )
    assert decrypted(blob, ours) == data
    assert decrypted(blob, [age.Identity.generate(), ours]) == data


@settings(max_examples=25, deadline=None)
@given(data=st.binary(max_size=3 * CHUNK), reads=st.integers(min_value=1, max_value=70_000))
def test_short_reads_change_nothing(data, reads):
    """Sources that return less than asked (pipes, sockets, S3 bodies) give the same file."""

    class Trickle(io.BytesIO):
        def read(self, n=-1):
            return super().read(min(n, reads) if n and n > 0 else reads)

    identity = age.Identity.generate()
    out = io.BytesIO()
    age.encrypt(Trickle(data), out, identity.to_public())
    blob = out.getvalue()
    assert pyrage.decrypt(blob, [x25519.Identity.from_str(str(identity))]) == data
    plain = io.BytesIO()
    age.decrypt(Trickle(blob), plain.write, identity)
    assert plain.getvalue() == data


def test_the_plaintext_never_appears_and_every_file_is_new(keypair):
    _identity, recipient = keypair
    data = b"customer photo " * 10_000
    one, two = encrypted(data, recipient), encrypted(data, recipient)
    assert b"customer photo" not in one
    assert one != two  # a fresh file key, ephemeral share and nonce each time


def test_the_stored_size_is_header_nonce_data_and_a_tag_per_chunk(keypair):
    identity, recipient = keypair
    for size in SIZES:
        blob = encrypted(os.urandom(size), recipient)
        opened = age.open_file(io.BytesIO(blob), identity)
        chunks = max(-(-size // CHUNK), 1)
        assert len(blob) == opened.payload_offset + size + chunks * age.TAG


# -- random access -----------------------------------------------------------------------
@pytest.mark.parametrize("index", [0, 1, 15, 16, 17, 45])
def test_decryption_can_start_at_any_chunk(index, keypair):
    identity, recipient = keypair
    data = os.urandom(2 * BATCH_BYTES + 13 * CHUNK + 5)  # 46 chunks
    blob = encrypted(data, recipient)
    opened = age.open_file(io.BytesIO(blob), identity)
    opened.seek_chunk(index)
    assert b"".join(opened.chunks()) == data[index * CHUNK :]
    # ... from a second stream that starts there (a ranged request to S3)
    opened = age.open_file(io.BytesIO(blob), identity)
    opened.seek_chunk(index, io.BytesIO(blob[opened.chunk_offset(index) :]))
    assert b"".join(opened.chunks()) == data[index * CHUNK :]


def test_a_chunk_moved_to_another_position_fails(keypair):
    identity, recipient = keypair
    data = os.urandom(4 * CHUNK)
    blob = bytearray(encrypted(data, recipient))
    opened = age.open_file(io.BytesIO(bytes(blob)), identity)
    a, b = opened.chunk_offset(0), opened.chunk_offset(1)
    blob[a:b], blob[b : b + (b - a)] = blob[b : b + (b - a)], blob[a:b]  # swap chunks 0 and 1
    with pytest.raises(age.PayloadError, match="chunk 0"):
        decrypted(bytes(blob), identity)


# -- damage ------------------------------------------------------------------------------
def test_a_wrong_key_is_named(keypair):
    _identity, recipient = keypair
    with pytest.raises(age.NoMatchingIdentity):
        decrypted(encrypted(b"data", recipient), age.Identity.generate())


def _header_end(blob: bytes) -> int:
    return blob.index(b"\n", blob.index(b"\n---")) + 1


@pytest.mark.parametrize("where", ["version", "share", "body", "mac", "nonce"])
def test_every_changed_header_byte_is_refused(where, keypair):
    identity, recipient = keypair
    blob = bytearray(encrypted(os.urandom(1000), recipient))
    lines = bytes(blob[: _header_end(blob)]).split(b"\n")
    offsets = {
        "version": 5,
        "share": len(lines[0]) + 1 + 12,
        "body": len(lines[0]) + len(lines[1]) + 2 + 5,
        "mac": _header_end(blob) - 10,
        "nonce": _header_end(blob) + 3,
    }
    position = offsets[where]
    original = blob[position]
    # A base64 letter becomes another base64 letter, so only the cryptography can notice.
    blob[position] = ord("A") if original != ord("A") else ord("B")
    with pytest.raises(age.AgeError):
        decrypted(bytes(blob), identity)


@pytest.mark.parametrize(
    "cut", ["in the header", "after the header", "mid chunk", "at a chunk boundary", "one byte"]
)
def test_truncation_anywhere_is_detected(cut, keypair):
    identity, recipient = keypair
    data = os.urandom(3 * CHUNK + 100)
    blob = encrypted(data, recipient)
    opened = age.open_file(io.BytesIO(blob), identity)
    length = {
        "in the header": 40,
        "after the header": opened.header_size,
        "mid chunk": opened.chunk_offset(1) + 1000,
        "at a chunk boundary": opened.chunk_offset(2),
        "one byte": len(blob) - 1,
    }[cut]
    with pytest.raises(age.AgeError):
        decrypted(blob[:length], identity)


def test_authentic_chunks_before_a_failure_come_out_then_the_error(keypair):
    identity, recipient = keypair
    data = os.urandom(6 * CHUNK)
    blob = bytearray(encrypted(data, recipient))
    opened = age.open_file(io.BytesIO(bytes(blob)), identity)
    blob[opened.chunk_offset(4) + 10] ^= 1
    out = io.BytesIO()
    with pytest.raises(age.PayloadError, match="chunk 4"):
        age.decrypt(io.BytesIO(bytes(blob)), out.write, identity)
    assert out.getvalue() == data[: 4 * CHUNK]


@pytest.mark.parametrize("extra", [b"x", bytes(age.TAG), bytes(age.SEALED)])
def test_trailing_data_is_refused(extra, keypair):
    identity, recipient = keypair
    with pytest.raises(age.PayloadError):
        decrypted(encrypted(os.urandom(CHUNK + 10), recipient) + extra, identity)


def test_an_empty_final_chunk_after_data_is_refused(keypair):
    """A full last chunk sealed as "not final" plus an empty final chunk: age forbids it."""
    identity, recipient = keypair
    data = os.urandom(CHUNK)
    blob = encrypted(data, recipient)
    opened = age.open_file(io.BytesIO(blob), identity)
    # Re-seal by hand with the same keys: chunk 0 not final, then an empty final chunk.
    file_key_holder = {}
    real_payload_aead = age._payload_aead

    def spy(file_key, nonce):
        file_key_holder["aead"] = real_payload_aead(file_key, nonce)
        return file_key_holder["aead"]

    age._payload_aead = spy
    try:
        age.open_file(io.BytesIO(blob), identity)
    finally:
        age._payload_aead = real_payload_aead
    aead = file_key_holder["aead"]
    forged = (
        blob[: opened.payload_offset]
        + aead.encrypt(age._chunk_nonce(0, False), data, None)
        + aead.encrypt(age._chunk_nonce(1, True), b"", None)
    )
    with pytest.raises(age.PayloadError, match="empty final chunk"):
        decrypted(forged, identity)


@pytest.mark.parametrize(
    ("header", "message"),
    [
        (b"age-encryption.org/v2\n-> X25519 AAAA\n\n--- " + b"A" * 43 + b"\n", "version"),
        (b"not an age file at all\n--- x\n", "not an age file"),
        (b"age-encryption.org/v1\n--- " + b"A" * 43 + b"\n", "no recipient stanza"),
        (b"age-encryption.org/v1\n-> X25519 AAAA=\n\n--- " + b"A" * 43 + b"\n", "base64"),
        (b"age-encryption.org/v1\n-> X25519\n\n--- " + b"A" * 43 + b"\n", "X25519 stanza"),
        (b"age-encryption.org/v1\n-> scrypt AAAA 18\n\n--- " + b"A" * 43 + b"\n", "passphrase"),
        (b"age-encryption.org/v1\n-> X25519 AAAA\n\n--- AAAA\n", "MAC"),
    ],
)
def test_malformed_headers_are_named(header, message):
    with pytest.raises(age.HeaderError, match=message):
        decrypted(header + bytes(40), age.Identity.generate())


def test_non_canonical_base64_is_refused(keypair):
    """The last base64 letter of a 32-byte value carries two unused bits: setting one gives
    another spelling of the same bytes, which the format forbids."""
    identity, recipient = keypair
    blob = encrypted(b"data", recipient)
    lines = blob[: _header_end(blob)].split(b"\n")
    share = lines[1].split(b" ")[2]
    alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    last = alphabet.index(share[-1:])
    twin = share[:-1] + alphabet[last ^ 1 : (last ^ 1) + 1]
    forged = blob.replace(share, twin, 1)
    with pytest.raises(age.HeaderError, match="non-canonical"):
        decrypted(forged, identity)


def test_a_header_without_end_is_refused_without_reading_everything():
    endless = io.BytesIO(b"age-encryption.org/v1\n" + b"x" * (10 * 1024 * 1024))
    with pytest.raises(age.HeaderError, match="no end of header"):
        age.open_file(endless, age.Identity.generate())
    assert endless.tell() < 2 * age.MAX_HEADER
