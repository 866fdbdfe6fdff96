"""The postgres backend's tables, as numbered migrations applied in order (the version table records the last one)."""

from __future__ import annotations

VERSION_TABLE = """CREATE TABLE IF NOT EXISTS reconciler_schema (
    version integer PRIMARY KEY,
    migrated_at timestamptz NOT NULL DEFAULT now()
)"""

# Never edit a migration that has shipped: add the next one.
MIGRATIONS: list[list[str]] = [
    [  # 1: runs, the journal of calls, applied saved plans, rate-window slots, lock holders
        """CREATE TABLE reconciler_runs (
            run_id text PRIMARY KEY,
            command text NOT NULL,
            user_name text NOT NULL,
            host text NOT NULL,
            started_at timestamptz NOT NULL,
            finished_at timestamptz,
            config_path text,
            config_sha256 text,
            plan_id text,
            accounts text[] NOT NULL DEFAULT '{}',
            outcome text
        )""",
        "CREATE INDEX reconciler_runs_started ON reconciler_runs (started_at DESC)",
        """CREATE TABLE reconciler_calls (
            id bigserial PRIMARY KEY,
            run_id text NOT NULL,
            time timestamptz NOT NULL DEFAULT clock_timestamp(),
            account text NOT NULL,
            venue text NOT NULL,
            method text NOT NULL,
            path text NOT NULL,
            query jsonb,
            body jsonb,
            http_status integer,
            venue_code text,
            duration_ms numeric,
            attempt integer NOT NULL,
            error text
        )""",
        "CREATE INDEX reconciler_calls_account_time ON reconciler_calls (account, time DESC)",
        "CREATE INDEX reconciler_calls_run ON reconciler_calls (run_id)",
        """CREATE TABLE reconciler_applied_plans (
            plan_id text PRIMARY KEY,
            run_id text NOT NULL,
            applied_at timestamptz NOT NULL DEFAULT now()
        )""",
        """CREATE TABLE reconciler_rate_slots (
            token text PRIMARY KEY,
            window_key text NOT NULL,
            owner_pid integer NOT NULL,
            reserved_at double precision NOT NULL,
            done_at double precision
        )""",
        "CREATE INDEX reconciler_rate_slots_window ON reconciler_rate_slots (window_key)",
        """CREATE TABLE reconciler_lock_holders (
            identity text PRIMARY KEY,
            holder text NOT NULL,
            since timestamptz NOT NULL DEFAULT now()
        )""",
    ],
    [  # 2: margin moves in flight, so a runner that died leaves its unanswered move where every other one looks
        """CREATE TABLE reconciler_intents (
            id text PRIMARY KEY,
            identity text NOT NULL,
            symbol text NOT NULL,
            side text,
            move numeric NOT NULL,
            coin text,
            account text NOT NULL,
            run_id text NOT NULL,
            signed_at double precision NOT NULL,
            expires_at double precision NOT NULL,
            state text NOT NULL
        )""",
        "CREATE INDEX reconciler_intents_identity ON reconciler_intents (identity, signed_at DESC)",
    ],
    [  # 3: leases of `watch` replicas (which replica reads and heals which account), by the database's clock
        """CREATE TABLE reconciler_leases (
            lease_key text PRIMARY KEY,
            holder text NOT NULL,
            expires_at timestamptz NOT NULL
        )""",
    ],
]

LATEST = len(MIGRATIONS)
