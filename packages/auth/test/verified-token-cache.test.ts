import { SignJWT } from 'jose';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { jwtVerifier } from '../src/jwt-verifier.js';
import { verifiedTokenCache } from '../src/verified-token-cache.js';

const ISSUER = 'https://id.example.test/';
const AUDIENCE = 'steadfast-test';
const SECRET = 'a-shared-secret-of-at-least-32-characters';
const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);

const sign = (claims: { exp?: number; nbf?: number; sub?: string } = {}) => {
  const jwt = new SignJWT({ scope: 'things:read' })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setSubject(claims.sub ?? 'user-1');
  if (claims.exp !== undefined) jwt.setExpirationTime(claims.exp);
  if (claims.nbf !== undefined) jwt.setNotBefore(claims.nbf);
  return jwt.sign(new TextEncoder().encode(SECRET));
};
const seconds = (ms: number) => Math.floor(ms / 1000);
const verifier = (clockToleranceSeconds = 0) =>
  jwtVerifier({ secret: SECRET, issuer: ISSUER, audience: AUDIENCE, clockToleranceSeconds });

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(T0);
});
afterEach(() => vi.useRealTimers());

describe('jwtVerifier with its verified-token cache', () => {
  it('answers a token it verified again with the same principal', async () => {
    const verify = verifier();
    const token = await sign({ exp: seconds(T0) + 60 });
    const first = await verify(token);
    expect(first).toMatchObject({ subject: 'user-1' });
    expect(await verify(token)).toBe(first);
  });

  it('refuses a cached token once its exp has passed, tolerance included', async () => {
    const verify = verifier(5);
    const token = await sign({ exp: seconds(T0) + 10 });
    await verify(token);
    vi.setSystemTime(T0 + 14_999);
    await expect(verify(token)).resolves.toMatchObject({ subject: 'user-1' });
    vi.setSystemTime(T0 + 15_000);
    await expect(verify(token)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
  });

  it('refuses a cached token when the clock goes back before its nbf', async () => {
    const verify = verifier();
    const token = await sign({ nbf: seconds(T0) + 10, exp: seconds(T0) + 600 });
    await expect(verify(token)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    vi.setSystemTime(T0 + 10_000);
    await expect(verify(token)).resolves.toMatchObject({ subject: 'user-1' });
    vi.setSystemTime(T0 + 9_999);
    await expect(verify(token)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
  });

  it('never answers a different token string from the cache: a changed signature fails', async () => {
    const verify = verifier();
    const token = await sign({ exp: seconds(T0) + 60 });
    await verify(token);
    const last = token.at(-1) === 'A' ? 'B' : 'A';
    await expect(verify(`${token.slice(0, -1)}${last}`)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
  });

  it('does not keep a failure: an expired token fails every time', async () => {
    const verify = verifier();
    const token = await sign({ exp: seconds(T0) - 1 });
    await expect(verify(token)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    await expect(verify(token)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
  });
});

describe('verifiedTokenCache', () => {
  const always = { fromMs: -Infinity, untilMs: Infinity };

  it('serves an entry inside its window only, and drops it after', () => {
    const cache = verifiedTokenCache<string>();
    cache.set('t', 'p', { fromMs: T0 - 1, untilMs: T0 + 1000 });
    expect(cache.get('t')).toBe('p');
    vi.setSystemTime(T0 + 1000);
    expect(cache.get('t')).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('keeps a token without exp for maxAgeMs at most, so it is verified again after', () => {
    const cache = verifiedTokenCache<string>({ maxAgeMs: 60_000 });
    cache.set('t', 'p', always);
    vi.setSystemTime(T0 + 59_999);
    expect(cache.get('t')).toBe('p');
    vi.setSystemTime(T0 + 60_000);
    expect(cache.get('t')).toBeUndefined();
  });

  it('holds maxEntries at most, forgetting the oldest first', () => {
    const cache = verifiedTokenCache<number>({ maxEntries: 2 });
    for (const [i, token] of ['a', 'b', 'c'].entries()) cache.set(token, i, always);
    expect(cache.size).toBe(2);
    expect(cache.get('a')).toBeUndefined();
    expect([cache.get('b'), cache.get('c')]).toEqual([1, 2]);
  });

  it('keeps nothing with maxEntries 0', () => {
    const cache = verifiedTokenCache<number>({ maxEntries: 0 });
    cache.set('a', 1, always);
    expect(cache.get('a')).toBeUndefined();
  });

  it('rejects invalid options with their name', () => {
    expect(() => verifiedTokenCache({ maxEntries: -1 })).toThrow(/maxEntries/);
    expect(() => verifiedTokenCache({ maxAgeMs: 0 })).toThrow(/maxAgeMs/);
  });
});
