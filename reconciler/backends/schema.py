"""The postgres backend's tables, as numbered migrations applied in order (the version table records the last one)."""

from __future__ import annotations

VERSION_TABLE = """CREATE TABLE IF NOT EXISTS reconciler_schema (
    version integer PRIMARY KEY,
    migrated_at timestamptz NOT NULL DEFAULT now()
)"""

# slots.settle's rule (reconciler/backends/slots.py), in one call so that an exchange is one round trip. Rows of
# reconciler_rate_slots: an owner's lease (owner set: `slots` held, `busy` of them in use, `active`, its
# `limit_count` and `period`, `reserved_at` its last exchange, `owner_pid` its session); a batch handed back
# (owner '', usable again at done_at); a rate-limit block (owner '', slots 0, until done_at). Times are the
# database's clock.
EXCHANGE_FUNCTION = """CREATE FUNCTION reconciler_window_exchange(
    p_key text, p_owner text, p_count integer, p_seconds double precision, p_waits double precision[],
    p_ns integer[], p_in_flight integer, p_active boolean, p_penalty double precision, p_expiry double precision,
    OUT waits double precision[], OUT ns integer[], OUT others_busy integer, OUT waiting integer,
    OUT blocked double precision, OUT retry double precision) LANGUAGE plpgsql AS $$
DECLARE
    now_ double precision := extract(epoch FROM clock_timestamp());
    until_ double precision;
    floor_ double precision;
    mine_at double precision[];
    mine_n integer[];
    held integer;
    others_held integer;
    pooled integer;
    least_count integer;
    target integer;
    excess integer;
    wanted integer;
    taken integer;
    given integer;
    i integer;
    leased boolean;
    batch record;
BEGIN
    PERFORM pg_advisory_xact_lock(1918989413, hashtext(p_key));
    -- Owners gone (session ended, or silent past the expiry): their requests may have reached the venue,
    -- so what they held counts as answered now. A session that ended held slots of other windows too, most
    -- likely: those are released at once as well (rows another exchange has locked are left to it).
    IF EXISTS (SELECT 1 FROM reconciler_rate_slots WHERE window_key = p_key AND owner <> '' AND owner <> p_owner
               AND owner_pid NOT IN (SELECT pid FROM pg_stat_activity WHERE pid IS NOT NULL)) THEN
        WITH dead AS (
            SELECT token FROM reconciler_rate_slots WHERE owner <> ''
                AND owner_pid NOT IN (SELECT pid FROM pg_stat_activity WHERE pid IS NOT NULL)
            FOR UPDATE SKIP LOCKED),
        gone AS (
            DELETE FROM reconciler_rate_slots AS slot USING dead WHERE slot.token = dead.token
            RETURNING slot.window_key, slot.period, slot.slots)
        INSERT INTO reconciler_rate_slots (token, window_key, owner_pid, reserved_at, done_at, slots)
            SELECT md5(random()::text || clock_timestamp()::text || window_key), window_key, 0, now_,
                   now_ + period, sum(slots)
            FROM gone GROUP BY window_key, period HAVING sum(slots) > 0;
    END IF;
    WITH gone AS (
        DELETE FROM reconciler_rate_slots WHERE window_key = p_key AND owner <> '' AND owner <> p_owner
            AND reserved_at < now_ - p_expiry
        RETURNING slots)
    INSERT INTO reconciler_rate_slots (token, window_key, owner_pid, reserved_at, done_at, slots)
        SELECT md5(random()::text || clock_timestamp()::text), p_key, 0, now_, now_ + p_seconds, sum(slots)
        FROM gone HAVING coalesce(sum(slots), 0) > 0;
    DELETE FROM reconciler_rate_slots WHERE window_key = p_key AND owner = '' AND done_at <= now_;
    DELETE FROM reconciler_rate_slots WHERE window_key = p_key AND owner = p_owner;
    leased := FOUND;
    SELECT coalesce(max(done_at), 0) INTO until_ FROM reconciler_rate_slots
        WHERE window_key = p_key AND owner = '' AND slots = 0;
    IF p_penalty > 0 AND now_ + p_penalty > until_ THEN
        until_ := now_ + p_penalty;
        INSERT INTO reconciler_rate_slots (token, window_key, owner_pid, reserved_at, done_at, slots)
            VALUES (md5(random()::text || clock_timestamp()::text), p_key, 0, now_, until_, 0);
    END IF;
    IF until_ > now_ THEN
        UPDATE reconciler_rate_slots SET done_at = until_
            WHERE window_key = p_key AND owner = '' AND slots > 0 AND done_at < until_;
    ELSE
        until_ := 0;
    END IF;
    floor_ := greatest(now_, until_);
    SELECT coalesce(array_agg(greatest(now_ + greatest(w, 0), floor_) ORDER BY w), '{}'),
           coalesce(array_agg(n ORDER BY w), '{}')
        INTO mine_at, mine_n FROM unnest(p_waits, p_ns) AS handed(w, n) WHERE n > 0 AND leased;
    held := coalesce((SELECT sum(x) FROM unnest(mine_n) AS x), 0) + p_in_flight;
    SELECT coalesce(sum(slots) FILTER (WHERE owner <> ''), 0), coalesce(sum(slots) FILTER (WHERE owner = ''), 0),
           count(*) FILTER (WHERE owner <> '' AND active), min(limit_count) FILTER (WHERE owner <> '' AND active),
           coalesce(sum(busy) FILTER (WHERE owner <> ''), 0)
        INTO others_held, pooled, waiting, least_count, others_busy
        FROM reconciler_rate_slots WHERE window_key = p_key;
    IF NOT p_active THEN
        INSERT INTO reconciler_rate_slots (token, window_key, owner_pid, reserved_at, done_at, slots)
            SELECT md5(random()::text || clock_timestamp()::text || k), p_key, 0, now_, mine_at[k], mine_n[k]
            FROM generate_subscripts(mine_at, 1) AS k WHERE mine_at[k] > now_;
        mine_at := '{}';
        mine_n := '{}';
    ELSE
        target := p_count;
        IF waiting > 0 THEN
            target := ceil(least(p_count, least_count)::numeric / (waiting + 1));
        END IF;
        IF held > target THEN
            excess := held - target;
            FOR i IN 1 .. coalesce(array_length(mine_at, 1), 0) LOOP
                EXIT WHEN excess <= 0;
                given := least(excess, mine_n[i]);
                excess := excess - given;
                IF given > 0 AND mine_at[i] > now_ THEN
                    INSERT INTO reconciler_rate_slots (token, window_key, owner_pid, reserved_at, done_at, slots)
                        VALUES (md5(random()::text || clock_timestamp()::text || i), p_key, 0, now_, mine_at[i],
                                given);
                END IF;
                mine_n[i] := mine_n[i] - given;
            END LOOP;
        ELSIF held < target THEN
            wanted := least(target - held, p_count - others_held - held);
            taken := greatest(0, least(wanted, p_count - others_held - pooled - held));
            IF taken > 0 THEN
                mine_at := mine_at || floor_;
                mine_n := mine_n || taken;
            END IF;
            wanted := wanted - taken;
            FOR batch IN SELECT token, done_at, slots FROM reconciler_rate_slots
                    WHERE window_key = p_key AND owner = '' AND slots > 0 ORDER BY done_at LOOP
                EXIT WHEN wanted <= 0;
                given := least(wanted, batch.slots);
                IF given = batch.slots THEN
                    DELETE FROM reconciler_rate_slots WHERE token = batch.token;
                ELSE
                    UPDATE reconciler_rate_slots SET slots = slots - given WHERE token = batch.token;
                END IF;
                mine_at := mine_at || batch.done_at;
                mine_n := mine_n || given;
                wanted := wanted - given;
            END LOOP;
        END IF;
    END IF;
    held := coalesce((SELECT sum(x) FROM unnest(mine_n) AS x), 0) + p_in_flight;
    IF held > 0 OR p_active THEN
        INSERT INTO reconciler_rate_slots (token, window_key, owner, owner_pid, reserved_at, slots, busy, active,
                                           limit_count, period)
            VALUES ('owner ' || p_owner || ' ' || md5(p_key), p_key, p_owner, pg_backend_pid(), now_, held,
                    p_in_flight + coalesce((SELECT sum(n) FROM unnest(mine_at, mine_n) AS m(at, n)
                                            WHERE at > now_), 0), p_active, p_count, p_seconds);
    END IF;
    SELECT coalesce(array_agg(at - now_ ORDER BY at), '{}'), coalesce(array_agg(n ORDER BY at), '{}')
        INTO waits, ns FROM unnest(mine_at, mine_n) AS m(at, n) WHERE n > 0;
    others_busy := others_busy + coalesce((SELECT sum(slots) FROM reconciler_rate_slots
                                           WHERE window_key = p_key AND owner = ''), 0);
    blocked := greatest(0, until_ - now_);
    SELECT coalesce(greatest(0, min(reserved_at) + p_seconds - now_), -1) INTO retry FROM reconciler_rate_slots
        WHERE window_key = p_key AND owner <> '' AND owner <> p_owner AND slots > 0;
END $$"""

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
    [  # 4: rate windows leased once a period: one row per owner's lease, per handed-back batch, per block
        "ALTER TABLE reconciler_rate_slots ADD COLUMN owner text NOT NULL DEFAULT ''",
        "ALTER TABLE reconciler_rate_slots ADD COLUMN slots integer NOT NULL DEFAULT 1",
        "ALTER TABLE reconciler_rate_slots ADD COLUMN busy integer NOT NULL DEFAULT 0",
        "ALTER TABLE reconciler_rate_slots ADD COLUMN active boolean NOT NULL DEFAULT false",
        "ALTER TABLE reconciler_rate_slots ADD COLUMN limit_count integer NOT NULL DEFAULT 0",
        "ALTER TABLE reconciler_rate_slots ADD COLUMN period double precision NOT NULL DEFAULT 60",
        # A request counted by an earlier version (in flight, or answered at done_at) now holds its slot for
        # a minute, the longest period the venues' documents give: no window restarts full during the upgrade.
        "UPDATE reconciler_rate_slots SET done_at = extract(epoch FROM clock_timestamp()) + 60",
        EXCHANGE_FUNCTION,
    ],
]

LATEST = len(MIGRATIONS)
