import signal

import pytest

__all__ = ["restore_signal_handlers"]


@pytest.fixture(autouse=True)
def restore_signal_handlers():
    """``privacydesk worker`` installs SIGTERM/SIGINT handlers; give pytest its own back."""
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}
    yield
    for sig, handler in saved.items():
        signal.signal(sig, handler)
