// `customer.frozen` / `customer.unfrozen` events (docs/api.md, Events). A customer is frozen or
// unfrozen from TypeScript (refunds and disputes, src/topups/reversals.ts) and from PL/pgSQL (any
// credit that repays the debt, coffer_unfreeze_if_repaid inside coffer_post_credit), so the event
// is written by a trigger on the status itself: wherever the status changes, in the same
// transaction (the events table is a transactional outbox), and no future path can forget it.
// The event's object is the customer as the API shows it (GET /v1/customers/{id}).

// The trigger, its function and coffer_new_id are in src/customers/sql/status_event.sql and
// src/db/sql/new_id.sql (src/db/routines.ts): this migration no longer changes the schema.
export async function up(): Promise<void> {}
