import { integerAtLeast } from '@steadfast/errors';

/** Tokens kept at once; the oldest is forgotten past this, so the cache cannot grow with the number of callers. */
export const DEFAULT_VERIFIED_TOKEN_CACHE_SIZE = 10_000;
/**
 * Longest a verified token is answered from the cache before its signature is checked again, whatever its `exp`:
 * a key rotated out of a JWKS stops being honoured within this (jose itself keeps a fetched key set for 10 minutes).
 */
export const DEFAULT_VERIFIED_TOKEN_CACHE_MS = 60_000;

export interface VerifiedTokenCacheOptions {
  /** 0 turns the cache off: every request verifies its token. */
  maxEntries?: number;
  maxAgeMs?: number;
}

/** When a verified token stops being valid, from its own claims: `[from, until)` in epoch ms. */
export interface ValidityWindow {
  fromMs: number;
  untilMs: number;
}

interface Entry<T> extends ValidityWindow {
  value: T;
}

export interface VerifiedTokenCache<T> {
  /** The value stored for exactly this token string, if it is still within its window now. */
  get(token: string): T | undefined;
  /** Keeps `value` for `token` inside `window`, and for at most `maxAgeMs` from now. */
  set(token: string, value: T, window: ValidityWindow): void;
  readonly size: number;
}

/**
 * Verified tokens by their exact string, so a caller's next request with the same token skips the signature check
 * and the claim checks it already passed. Only tokens that verified are stored (a failure always reaches the
 * verifier and the failure throttle); an entry is served only inside the token's own `nbf`/`exp` window (clock
 * tolerance included, as the verifier applied it) and for at most `maxAgeMs`, on the same `Date.now()` clock the
 * verifier reads. Bounded: past `maxEntries` the oldest entry goes.
 */
export function verifiedTokenCache<T>(options: VerifiedTokenCacheOptions = {}): VerifiedTokenCache<T> {
  const maxEntries = integerAtLeast('maxEntries', options.maxEntries ?? DEFAULT_VERIFIED_TOKEN_CACHE_SIZE, 0);
  const maxAgeMs = integerAtLeast('maxAgeMs', options.maxAgeMs ?? DEFAULT_VERIFIED_TOKEN_CACHE_MS, 1);
  const entries = new Map<string, Entry<T>>();
  return {
    get(token) {
      const entry = entries.get(token);
      if (entry === undefined) return undefined;
      const now = Date.now();
      if (now >= entry.fromMs && now < entry.untilMs) return entry.value;
      // Expired, or a clock set back before the token's nbf: verify it again.
      entries.delete(token);
      return undefined;
    },
    set(token, value, { fromMs, untilMs }) {
      if (maxEntries === 0) return;
      entries.delete(token);
      if (entries.size >= maxEntries) entries.delete(entries.keys().next().value as string);
      entries.set(token, { value, fromMs, untilMs: Math.min(untilMs, Date.now() + maxAgeMs) });
    },
    get size() {
      return entries.size;
    },
  };
}
