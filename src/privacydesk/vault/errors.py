"""The vault's errors, with messages for the user (shared by ``services`` and ``intake``)."""


class VaultError(Exception):
    """A vault action that cannot be done, with a message for the user."""


class ContentMismatch(VaultError):
    """Decrypted content does not match what was stored."""


class TargetExists(VaultError):
    """The file to write already exists and was not to be replaced."""
