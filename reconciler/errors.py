"""The errors the reconciler reports to people: each one says where and what, in one line."""

from __future__ import annotations


class ReconcilerError(Exception):
    """Base of every error the CLI turns into a message and exit code 1."""


class ConfigError(ReconcilerError):
    """The desired-state file (or a saved plan) is invalid; one message per problem."""

    def __init__(self, messages: list[str] | str):
        self.messages = [messages] if isinstance(messages, str) else list(messages)
        super().__init__("\n".join(self.messages))


class VenueError(ReconcilerError):
    """A venue answered with an error code (or not at all)."""

    def __init__(self, venue: str, code: str | None, message: str, *, status: int | None = None,
                 kind: str = "business", account: str | None = None):
        self.venue = venue
        self.code = code
        self.message = message
        self.status = status
        # What the answer proves about the request:
        #   nothing to do:       done (the venue's code says the setting already holds the value; a success)
        #   refused, terminal:   business | blocked | auth
        #   refused, retry:      rate_limit | busy (the venue's own code, in its own envelope, says it did nothing)
        #   unknown outcome:     unknown (a venue code that does not say) | server (5xx without a known code)
        #                        | network (dropped after sending) | timeout
        #   not sent:            unreachable
        self.kind = kind
        self.account = account
        self.retry_after: float | None = None
        self.signed_at: float | None = None  # wall-clock time the request was signed (set by the client)
        # The venue answered (2xx) but the answer cannot be read: whatever the request did is done, and nothing
        # of it can execute later.
        self.settled = False
        super().__init__(self.describe())

    @property
    def retriable(self) -> bool:
        return self.kind in ("rate_limit", "busy", "unknown", "server", "network", "timeout", "unreachable")

    @property
    def ambiguous(self) -> bool:
        """The request may have been carried out although no answer says so."""
        return self.kind in ("unknown", "server", "network", "timeout")

    def __str__(self) -> str:
        return self.describe()  # the account is filled in after construction (by the client)

    def describe(self) -> str:
        where = f"{self.account} ({self.venue})" if self.account else self.venue
        code = f" {self.code}" if self.code else ""
        return f"{where}: venue error{code}: {self.message}"


class StalePlanError(ReconcilerError):
    """A saved plan no longer matches the live state it was computed from."""
