"""Personal data at rest: encryption, keyed hashes and the key check (R-CUS-04).

ID, passport and phone numbers are stored three ways beside each other:
- the ciphertext (AES-256-GCM under `WUYE_FIELD_KEY`), decrypted only when a user whose role
  allows it looks at the number, through `wuye.people.privacy.reveal` which logs the view;
- a keyed hash (HMAC-SHA256 under a key derived from the same secret), so finding a person by
  a number and spotting duplicates is an indexed equality, never a decryption of every row;
- the masked form (`138****5678`) that lists, exports and the API show everyone else.

The database remembers a fingerprint of the key it was first used with; a system check
refuses to start (`wuye serve`, `migrate`, every command) when the configured key differs,
so a lost or swapped key is never silent.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

VERSION = "v1"


class KeyMismatch(Exception):
    """A ciphertext that the configured key did not write."""


def generate_key() -> str:
    return base64.urlsafe_b64encode(os.urandom(32)).decode()


def parse_key(text: str) -> bytes:
    """The 32-byte key from its URL-safe base64 text, or a clear refusal."""
    try:
        key = base64.urlsafe_b64decode(text.strip().encode())
    except (binascii.Error, ValueError) as exc:
        raise ImproperlyConfigured(
            "WUYE_FIELD_KEY is not URL-safe base64; generate one with "
            "`python -c 'import base64,os;print(base64.urlsafe_b64encode(os.urandom(32)).decode())'`"
        ) from exc
    if len(key) != 32:
        raise ImproperlyConfigured(
            f"WUYE_FIELD_KEY must hold 32 bytes (44 characters of base64); it holds {len(key)}."
        )
    return key


@lru_cache(maxsize=4)
def _keys(secret: str) -> tuple[AESGCM, bytes]:
    master = parse_key(secret)
    # Separate subkeys, so the hash key can't decrypt and the cipher key doesn't hash.
    cipher_key = hmac.new(master, b"wuye/field-encryption", hashlib.sha256).digest()
    hash_key = hmac.new(master, b"wuye/blind-index", hashlib.sha256).digest()
    return AESGCM(cipher_key), hash_key


def _current() -> tuple[AESGCM, bytes]:
    return _keys(settings.WUYE_FIELD_KEY)


def encrypt(plaintext: str) -> str:
    if not plaintext:
        return ""
    nonce = os.urandom(12)
    sealed = _current()[0].encrypt(nonce, plaintext.encode(), VERSION.encode())
    return f"{VERSION}${base64.urlsafe_b64encode(nonce + sealed).decode()}"


def decrypt(token: str) -> str:
    if not token:
        return ""
    version, _sep, body = token.partition("$")
    if version != VERSION or not body:
        raise KeyMismatch("not a wuye ciphertext")
    raw = base64.urlsafe_b64decode(body.encode())
    try:
        return _current()[0].decrypt(raw[:12], raw[12:], VERSION.encode()).decode()
    except InvalidTag as exc:
        raise KeyMismatch("the configured WUYE_FIELD_KEY did not encrypt this value") from exc


def blind_index(kind: str, normalized: str) -> str:
    """The keyed hash of a normalised number; equal numbers of one kind hash equally."""
    if not normalized:
        return ""
    message = f"{kind}:{normalized}".encode()
    return hmac.new(_current()[1], message, hashlib.sha256).hexdigest()[:40]


def key_fingerprint(secret: str | None = None) -> str:
    """Identifies the key without revealing it; stored in the database at first migrate."""
    hash_key = _keys(secret or settings.WUYE_FIELD_KEY)[1]
    return hmac.new(hash_key, b"wuye/key-fingerprint", hashlib.sha256).hexdigest()[:32]
