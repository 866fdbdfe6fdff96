"""Local backend locks: a lock file per venue identity, held from the first read to the last write."""

from __future__ import annotations

import getpass
import os
import socket
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path

from filelock import FileLock, Timeout

from .errors import ReconcilerError


def lock_dir() -> Path:
    """One directory per machine and user; RECONCILER_LOCK_DIR (or RECONCILER_STATE_DIR) moves it."""
    state = os.environ.get("RECONCILER_STATE_DIR")
    default = Path(state) / "locks" if state else Path(tempfile.gettempdir()) / f"reconciler-locks-{_user()}"
    return Path(os.environ.get("RECONCILER_LOCK_DIR") or default)


class AccountLocks:
    """Holds the locks of the venue accounts a run touches, waiting up to `timeout` seconds for each.

    `accounts` maps a venue identity (never a secret: see Adapter.identity) to the names the file
    gives it, for messages. Locks are taken in sorted order, so two runs never deadlock.
    """

    def __init__(self, accounts: dict[str, str], timeout: float = 0.0, directory: str | Path | None = None):
        self.accounts = dict(sorted(accounts.items()))
        self.timeout = timeout
        self.directory = Path(directory) if directory else lock_dir()
        self._held: list[tuple[FileLock, Path]] = []

    def __enter__(self):
        try:
            self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        except OSError as exc:
            raise ReconcilerError(f"lock directory {self.directory} cannot be used: {exc.strerror or exc}; set "
                                  "RECONCILER_LOCK_DIR (or RECONCILER_STATE_DIR) to a writable directory") from None
        try:
            for identity, names in self.accounts.items():
                self._take(identity, names)
        except BaseException:
            self.__exit__()
            raise
        return self

    def _take(self, identity: str, names: str) -> None:
        path = self.directory / f"{identity}.lock"
        lock = FileLock(str(path), timeout=max(self.timeout, 0), is_singleton=False, thread_local=False)
        try:
            lock.acquire()
        except Timeout:
            waited = f" after waiting {self.timeout:g} s" if self.timeout > 0 else ""
            raise ReconcilerError(
                f"account {names} is in use by {_holder(path)}{waited} (lock {path}); wait for it to finish "
                "or pass --lock-timeout SECONDS to wait") from None
        except OSError as exc:
            raise ReconcilerError(f"lock {path} cannot be used: {exc.strerror or exc} (is it a link or a "
                                  "directory? set RECONCILER_LOCK_DIR to a directory of your own)") from None
        self._held.append((lock, path))
        _write_holder(path, holder_description())

    def __exit__(self, *exc):
        for lock, path in reversed(self._held):
            try:
                _holder_file(path).unlink(missing_ok=True)
            except OSError:
                pass
            lock.release()
        self._held = []


class HostLocks:
    """One lock per venue identity that every run on this host sees, whatever its user, lock directory or backend.

    An abstract Unix socket named after the identity: the kernel frees it when the process dies, and no
    file or directory choice can make two runs miss each other (runs in separate network namespaces, such as
    containers without host networking, must share a lock directory or the PostgreSQL backend instead).
    """

    def __init__(self, accounts: dict[str, str], timeout: float = 0.0):
        self.accounts = dict(sorted(accounts.items()))
        self.timeout = timeout
        self._held: list[socket.socket] = []

    async def __aenter__(self):
        if not sys.platform.startswith("linux"):
            return self  # abstract sockets are Linux's; elsewhere the backend's locks alone exclude
        try:
            for identity, names in self.accounts.items():
                await self._take(identity, names)
        except BaseException:
            await self.__aexit__()
            raise
        return self

    async def _take(self, identity: str, names: str) -> None:
        import asyncio
        import time

        deadline = time.monotonic() + max(self.timeout, 0)
        while True:
            held = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                held.bind(f"\0margin-reconciler/{identity}")
            except OSError:
                held.close()
                if time.monotonic() >= deadline:
                    waited = f" after waiting {self.timeout:g} s" if self.timeout > 0 else ""
                    raise ReconcilerError(
                        f"account {names} is in use by another run on this host{waited} (whatever its user, lock "
                        "directory or backend, one venue account is changed by one run at a time); wait for it to "
                        "finish or pass --lock-timeout SECONDS to wait") from None
                await asyncio.sleep(0.2)
                continue
            self._held.append(held)
            return

    async def __aexit__(self, *exc):
        for held in reversed(self._held):
            held.close()
        self._held = []


def holder_description() -> str:
    """Who takes a lock now, for the message of a run that finds it held (every backend says it alike)."""
    return (f"pid {os.getpid()} on {socket.gethostname()} ({_user()}), {' '.join(_command())}, "
            f"since {datetime.now(timezone.utc).isoformat(timespec='seconds')}")


def _holder_file(lock_path: Path) -> Path:
    return lock_path.with_suffix(".holder")


def _write_holder(lock_path: Path, text: str) -> None:
    """Who holds the lock, for the message of the next run; never through a symbolic link."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(_holder_file(lock_path), flags, 0o600)
    except OSError:
        return  # the lock itself is held; only the courtesy note is missing
    with os.fdopen(fd, "w") as handle:
        handle.write(text)


def _holder(lock_path: Path) -> str:
    try:
        return _holder_file(lock_path).read_text()[:300] or "another run"
    except OSError:
        return "another run"


def _command() -> list[str]:
    return ["reconciler", *sys.argv[1:3]] if sys.argv else ["reconciler"]


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return str(os.getuid()) if hasattr(os, "getuid") else "user"


__all__ = ["AccountLocks", "HostLocks", "lock_dir", "holder_description"]
