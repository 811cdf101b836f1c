-- The crawl store: everything a crawl keeps, in one database (format 1).
--
-- One crawl per store: a SQLite file, or a PostgreSQL database (or schema). Both
-- implementations create exactly these tables; the only differences are filled in where
-- the braces are: {id} is an auto-numbered primary key, {json} the column type of an
-- object's JSON, {float} a double. Read this file as the documentation of the store.
--
-- Exactly once, by construction: a worker delivering a page commits, in ONE transaction,
-- the page's objects (crawl_objects, new URNs only), the jobs that the new graph nodes
-- add (crawl_jobs, new (kind, urn) only), the job's new position, and the tallies. The
-- transaction first checks that the worker still holds the job's lease (lease_token);
-- if another worker has taken the job over, nothing is written. A worker killed at any
-- instant therefore leaves either the page committed or nothing of it, and whoever
-- continues the job starts from its committed position.

-- What crawl this store holds:
--   format       'soundcloud_async.crawl/2' (a store of another format is refused)
--   definition   the strategy's describe(), canonical JSON: a different crawl is refused
--   created_at   epoch seconds
--   finished_at  epoch seconds, once no job is left to do
CREATE TABLE IF NOT EXISTS crawl_meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- Every job the crawl ever created, once per (kind, urn): the frontier (state 'pending'),
-- the jobs workers hold ('running', with a lease), and the history.
--   state        pending | running | set_aside | done | gone | forbidden | failed
--   position     where the job continues: the next page's path and query, relative to
--                the API base (so a crawl can move to another base URL), never with a
--                secret in it; NULL means from the start
--   skip         items of that page already delivered (a page cut short by an error)
--   lease_*      the worker holding a running job, the token of this claim, and when
--                the lease runs out (epoch seconds; renewed by heartbeats and commits)
--   attempts     times the job was set aside; retry_at is when it may run again
--   error        the last failure (set_aside, failed, gone, forbidden), secret-free
CREATE TABLE IF NOT EXISTS crawl_jobs (
    id          {id},
    kind        TEXT NOT NULL,
    urn         TEXT NOT NULL,
    depth       INTEGER NOT NULL,
    state       TEXT NOT NULL DEFAULT 'pending',
    position    TEXT,
    skip        INTEGER NOT NULL DEFAULT 0,
    lease_owner TEXT,
    lease_token TEXT,
    lease_until {float},
    attempts    INTEGER NOT NULL DEFAULT 0,
    retry_at    {float},
    error       TEXT,
    pages       BIGINT NOT NULL DEFAULT 0,
    UNIQUE (kind, urn)
);
-- Claims read it (pending by kind, shallowest first; the smallest active depth per kind
-- for breadth-first order), and so do a worker's heartbeats (its running jobs).
CREATE INDEX IF NOT EXISTS crawl_jobs_by_state ON crawl_jobs (state, kind, depth, id);

-- The results: one row per object, written when its URN is first delivered. For the
-- kinds that are graph nodes (users in a follow-graph crawl) a row is also the visited
-- set: a node is expanded into new jobs only by the transaction that inserts its row.
CREATE TABLE IF NOT EXISTS crawl_objects (
    urn  TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    data {json} NOT NULL
);

-- The processes that worked on this crawl; status shows those whose heartbeat is recent.
--   state  running | stopped (it released its jobs) | dead (another worker released them)
CREATE TABLE IF NOT EXISTS crawl_workers (
    id           TEXT PRIMARY KEY,
    host         TEXT NOT NULL,
    pid          INTEGER NOT NULL,
    started_at   {float} NOT NULL,
    heartbeat_at {float} NOT NULL,
    state        TEXT NOT NULL DEFAULT 'running'
);

-- Counters that status and progress read without counting millions of rows: each worker
-- adds its own deltas to its own rows (no two workers contend for one row), and a total
-- is the sum over workers. Keys: 'objects:<kind>', 'jobs:<state>', 'pages', 'invalid:<kind>'
-- (items without a URN, not stored).
CREATE TABLE IF NOT EXISTS crawl_tallies (
    worker TEXT NOT NULL,
    key    TEXT NOT NULL,
    n      BIGINT NOT NULL,
    PRIMARY KEY (worker, key)
);
