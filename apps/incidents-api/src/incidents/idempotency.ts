import { createHash } from 'node:crypto';
import { ConflictError } from '@steadfast/errors';
import { type Kysely, sql } from 'kysely';
import type { Database } from '../db/schema.js';

/** The response a key's first request got; retries with the key get it again. */
export interface StoredResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: unknown;
}

/** JSON with object keys sorted, so the same body hashes the same whatever its key order. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** How long a key is remembered; after that it may be used again, for anything. */
export const IDEMPOTENCY_KEY_TTL_HOURS = 24;

export const requestHash = (body: unknown) => createHash('sha256').update(canonical(body)).digest('hex');

/**
 * The stored key: a caller's key, scoped to the caller (another client can neither pre-claim it nor read its
 * response), as a digest so that its primary-key entry has one size whatever the caller and key are.
 */
export const idempotencyKeyOf = (caller: string, key: string) =>
  createHash('sha256').update(caller).update('\0').update(key).digest('hex');

/**
 * Claims `key` for this transaction. A concurrent claim of the same key waits on the unique index until this
 * transaction ends; it then sees the stored response (or, if this one rolled back, claims the key itself).
 * Returns the earlier response when the key was already used for the same body within the TTL.
 */
const expired = sql<Date>`now() - make_interval(hours => ${IDEMPOTENCY_KEY_TTL_HOURS})`;

/** Deletes up to `batch` keys past their TTL; returns how many (fewer than `batch`: none is left). */
export async function pruneIdempotencyKeys(db: Kysely<Database>, batch: number): Promise<number> {
  const due = db.selectFrom('idempotency_keys').select('key').where('created_at', '<', expired).limit(batch);
  const result = await db.deleteFrom('idempotency_keys').where('key', 'in', due).executeTakeFirst();
  return Number(result.numDeletedRows);
}

export async function claimIdempotencyKey(
  trx: Kysely<Database>,
  key: string,
  hash: string,
): Promise<StoredResponse | undefined> {
  await trx.deleteFrom('idempotency_keys').where('key', '=', key).where('created_at', '<', expired).execute();
  const claimed = await trx
    .insertInto('idempotency_keys')
    .values({ key, request_hash: hash })
    .onConflict((oc) => oc.column('key').doNothing())
    .returning('key')
    .executeTakeFirst();
  if (claimed) return undefined;
  const row = await trx
    .selectFrom('idempotency_keys')
    .selectAll()
    .where('key', '=', key)
    .executeTakeFirstOrThrow();
  if (row.request_hash !== hash) {
    throw new ConflictError(
      'This Idempotency-Key was already used with a different request body',
      'IDEMPOTENCY_KEY_REUSED',
    );
  }
  return { statusCode: row.status_code ?? 201, headers: row.headers ?? {}, body: row.body };
}

export async function storeIdempotentResponse(trx: Kysely<Database>, key: string, response: StoredResponse) {
  await trx
    .updateTable('idempotency_keys')
    .set({
      status_code: response.statusCode,
      headers: JSON.stringify(response.headers),
      body: JSON.stringify(response.body),
    })
    .where('key', '=', key)
    .execute();
}
