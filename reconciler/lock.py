"""One apply per account per machine: an exclusive lock file per account."""

from __future__ import annotations

import fcntl
import os
import tempfile
from pathlib import Path

from .errors import ReconcilerError

def lock_dir() -> Path:
    """One directory per machine and user; RECONCILER_LOCK_DIR moves it (tests, shared hosts)."""
    default = Path(tempfile.gettempdir()) / f"reconciler-locks-{os.getuid()}"
    return Path(os.environ.get("RECONCILER_LOCK_DIR") or default)


class AccountLocks:
    """Holds the lock files of the accounts an apply touches; refuses at once if another apply holds one."""

    def __init__(self, accounts: list[str], directory: str | Path | None = None):
        self.accounts = sorted(accounts)
        self.directory = Path(directory) if directory else lock_dir()
        self._files = []

    def __enter__(self):
        self.directory.mkdir(parents=True, exist_ok=True)
        for account in self.accounts:
            path = self.directory / f"{account}.lock"
            handle = path.open("a+")
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.seek(0)
                holder = handle.read().strip() or "another process"
                handle.close()
                self.__exit__()
                raise ReconcilerError(f"account {account} is being applied by {holder} on this machine "
                                      f"(lock {path}); wait for it to finish, then run again") from None
            handle.seek(0)
            handle.truncate()
            handle.write(f"pid {os.getpid()}")
            handle.flush()
            self._files.append(handle)
        return self

    def __exit__(self, *exc):
        for handle in self._files:
            fcntl.flock(handle, fcntl.LOCK_UN)
            handle.close()
        self._files = []
