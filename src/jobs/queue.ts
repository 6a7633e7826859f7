import { sql, type Transaction } from 'kysely';
import type { Database } from '../db/schema.js';

export type JobName = 'topup_expire';

/**
 * Adds a graphile-worker job inside the caller's transaction (the outbox rule: a job exists if
 * and only if the change that asked for it committed). A job key makes a repeat replace, not add.
 */
export async function addJob(
  tx: Transaction<Database>,
  task: JobName,
  payload: Record<string, unknown>,
  opts: { runAt?: Date; jobKey?: string; maxAttempts?: number } = {},
): Promise<void> {
  await sql`SELECT graphile_worker.add_job(
    ${task}, ${JSON.stringify(payload)}::json,
    run_at => ${opts.runAt ?? null}::timestamptz,
    max_attempts => ${opts.maxAttempts ?? 25}::int,
    job_key => ${opts.jobKey ?? null}::text)`.execute(tx);
}
