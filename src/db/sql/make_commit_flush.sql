-- Makes the current transaction's commit flush the WAL (with synchronous_commit on), and with it
-- every commit before it. A commit waits for the flush only if its transaction has a transaction id
-- AND wrote WAL itself: a transaction that only replayed answers or found a duplicate writes
-- nothing, and its commit would return before earlier asynchronous commits reach the disk. A
-- non-transactional logical message is the smallest WAL record anyone may write (no lock, no table;
-- at any wal_level). docs/ledger.md, "Group commit".
CREATE OR REPLACE FUNCTION coffer_make_commit_flush()
 RETURNS void
 LANGUAGE sql
AS $fn$
SELECT pg_current_xact_id(), pg_logical_emit_message(false, 'coffer', 'flush');
$fn$;
