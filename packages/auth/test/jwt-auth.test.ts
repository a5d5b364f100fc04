import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { errorHandlerPlugin, requestContextPlugin } from '@steadfast/http';
import Fastify, { type FastifyInstance } from 'fastify';
import { exportJWK, exportSPKI, generateKeyPair, type JWTPayload, SignJWT } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { authConfig, authOptionsFrom } from '../src/config.js';
import { type JwtVerifierOptions, jwtVerifier } from '../src/jwt-verifier.js';
import { type AuthPluginOptions, authPlugin, callerOf } from '../src/plugin.js';

const ISSUER = 'https://id.example.test/';
const AUDIENCE = 'steadfast-test';
const SECRET = 'a-shared-secret-of-at-least-32-characters';

type Key = Parameters<SignJWT['sign']>[0];
const sign = (key: Key, claims: JWTPayload, alg = 'RS256', kid = 'k1') =>
  new SignJWT(claims)
    .setProtectedHeader({ alg, kid })
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setSubject('user-1')
    .setIssuedAt()
    .setExpirationTime('5m')
    .sign(key);

async function appWith(options: AuthPluginOptions): Promise<FastifyInstance> {
  const app = Fastify();
  await app.register(requestContextPlugin);
  await app.register(errorHandlerPlugin);
  await app.register(authPlugin, options);
  app.get('/v1/things', { config: { scope: 'things:read' } }, async (request) => ({
    caller: callerOf(request),
  }));
  app.get('/open', async () => ({ ok: true }));
  return app;
}

let jwks: Server;
let jwksUrl: string;
let keys: Awaited<ReturnType<typeof generateKeyPair>>;
let jwksHits = 0;

beforeAll(async () => {
  keys = await generateKeyPair('RS256');
  const jwk = { ...(await exportJWK(keys.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
  jwks = createServer((_req, res) => {
    jwksHits += 1;
    res.setHeader('content-type', 'application/json').end(JSON.stringify({ keys: [jwk] }));
  });
  jwks.listen(0, '127.0.0.1');
  await once(jwks, 'listening');
  jwksUrl = `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/.well-known/jwks.json`;
});
afterAll(() => jwks.close());

/** A token signed with the test key, with one claim changed from the valid defaults. */
const variant = ({
  iss = ISSUER,
  aud = AUDIENCE,
  sub = 'u' as string | null,
  exp = '5m' as string | number,
}) => {
  const jwt = new SignJWT({ scope: 'things:read' })
    .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
    .setIssuer(iss)
    .setAudience(aud)
    .setExpirationTime(exp);
  return (sub === null ? jwt : jwt.setSubject(sub)).sign(keys.privateKey);
};

const THROTTLE = { AUTH_MAX_FAILURES: 3, AUTH_FAILURE_WINDOW_MS: 1000 };

const verifierFor = (source: Partial<JwtVerifierOptions>) =>
  ({ issuer: ISSUER, audience: AUDIENCE, ...source }) as JwtVerifierOptions;

describe('authPlugin with a JWKS endpoint', () => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await appWith({ mode: 'jwt', realm: 'test', verifier: verifierFor({ jwksUrl }) });
  });
  afterAll(() => app.close());
  const get = (authorization?: string) =>
    app.inject({ url: '/v1/things', headers: authorization ? { authorization } : {} });

  it('admits a token with the scope, in `scope` or in `scp`', async () => {
    for (const claims of [{ scope: 'other things:read' }, { scp: ['things:read'] }]) {
      const response = await get(`Bearer ${await sign(keys.privateKey, claims)}`);
      expect(response.statusCode).toBe(200);
      expect(response.json()).toEqual({ caller: 'sub:user-1' });
    }
    expect(jwksHits).toBeGreaterThan(0);
  });

  it('401 with a challenge and the envelope without a token or with another scheme', async () => {
    for (const authorization of [undefined, 'Basic dTpw', 'Bearer not-a-jwt']) {
      const response = await get(authorization);
      expect(response.statusCode).toBe(401);
      expect(response.headers['www-authenticate']).toBe('Bearer realm="test"');
      expect(response.json().error.code).toBe('UNAUTHENTICATED');
    }
  });

  it('401 invalid_token for a bad signature, issuer, audience, expiry or a missing subject', async () => {
    const other = await generateKeyPair('RS256');
    const bad = [
      await sign(other.privateKey, { scope: 'things:read' }),
      await variant({ iss: 'https://evil.test/' }),
      await variant({ aud: 'another-api' }),
      await variant({ exp: Math.floor(Date.now() / 1000) - 120 }),
      await variant({ sub: null }),
      // alg confusion: HS256 signed with the public key's bytes must not pass
      await sign(new TextEncoder().encode(SECRET), { scope: 'things:read' }, 'HS256'),
    ];
    for (const token of bad) {
      const response = await get(`Bearer ${token}`);
      expect(response.statusCode).toBe(401);
      expect(response.headers['www-authenticate']).toBe('Bearer realm="test", error="invalid_token"');
      expect(response.json().error.message).not.toMatch(/jwt|signature|exp/i);
    }
  });

  it('tolerates bounded clock skew on exp', async () => {
    const token = await variant({ exp: Math.floor(Date.now() / 1000) - 10 });
    expect((await get(`Bearer ${token}`)).statusCode).toBe(200);
  });

  it('403 insufficient_scope when the token lacks the route scope', async () => {
    const response = await get(`Bearer ${await sign(keys.privateKey, { scope: 'things:write' })}`);
    expect(response.statusCode).toBe(403);
    expect(response.headers['www-authenticate']).toBe(
      'Bearer realm="test", error="insufficient_scope", scope="things:read"',
    );
    expect(response.json().error.code).toBe('FORBIDDEN');
  });

  it('leaves routes without a scope alone', async () => {
    expect((await app.inject({ url: '/open' })).statusCode).toBe(200);
  });
});

describe('authPlugin with a static key', () => {
  it('HS256 secret', async () => {
    const app = await appWith({ mode: 'jwt', realm: 'test', verifier: verifierFor({ secret: SECRET }) });
    const token = await sign(new TextEncoder().encode(SECRET), { scope: 'things:read' }, 'HS256');
    expect(
      (await app.inject({ url: '/v1/things', headers: { authorization: `Bearer ${token}` } })).statusCode,
    ).toBe(200);
    await app.close();
  });

  it('PEM public key', async () => {
    const publicKeyPem = await exportSPKI(keys.publicKey);
    const app = await appWith({ mode: 'jwt', realm: 'test', verifier: verifierFor({ publicKeyPem }) });
    const token = await sign(keys.privateKey, { scope: 'things:read' });
    expect(
      (await app.inject({ url: '/v1/things', headers: { authorization: `Bearer ${token}` } })).statusCode,
    ).toBe(200);
    await app.close();
  });

  it('refuses a short secret without echoing it', () => {
    expect(() => jwtVerifier(verifierFor({ secret: 'short-secret' }))).toThrow(
      'Invalid option secret: "a value of 12 characters" (expected at least 32 characters)',
    );
  });
});

describe('a JWKS endpoint that is down', () => {
  it('is 503, not the caller’s fault', async () => {
    const app = await appWith({
      mode: 'jwt',
      realm: 'test',
      verifier: verifierFor({ jwksUrl: 'http://127.0.0.1:1/jwks.json' }),
    });
    const token = await sign(keys.privateKey, { scope: 'things:read' });
    const response = await app.inject({ url: '/v1/things', headers: { authorization: `Bearer ${token}` } });
    expect(response.statusCode).toBe(503);
    expect(response.json().error.code).toBe('AUTH_PROVIDER_UNAVAILABLE');
    await app.close();
  });
});

describe('mode off', () => {
  it('checks nothing and scopes the caller to the client address', async () => {
    const app = await appWith({ mode: 'off' });
    const response = await app.inject({ url: '/v1/things' });
    expect(response.json()).toEqual({ caller: 'ip:127.0.0.1' });
    await app.close();
  });
});

describe('authConfig', () => {
  const check = (env: Record<string, unknown>) => authConfig.checks.map((c) => c(env)).find(Boolean);
  it('is off outside production and required in production', () => {
    expect(check({ NODE_ENV: 'development', AUTH_CLOCK_TOLERANCE_S: 30 })).toBeUndefined();
    expect(check({ NODE_ENV: 'production' })).toMatch(/needs exactly one key source/);
    expect(check({ NODE_ENV: 'production', AUTH_MODE: 'off' })).toMatch(
      /not allowed when NODE_ENV=production/,
    );
    expect(
      check({
        NODE_ENV: 'production',
        AUTH_JWT_SECRET: SECRET,
        AUTH_ISSUER: ISSUER,
        AUTH_AUDIENCE: AUDIENCE,
      }),
    ).toBeUndefined();
    expect(check({ NODE_ENV: 'production', AUTH_JWT_SECRET: SECRET })).toMatch(
      /AUTH_ISSUER and AUTH_AUDIENCE/,
    );
    expect(
      check({ NODE_ENV: 'production', AUTH_JWT_SECRET: 'short', AUTH_ISSUER: 'i', AUTH_AUDIENCE: 'a' }),
    ).toMatch(/at least 32 characters \(got a value of 5 characters\)/);
  });
  it('maps to plugin options', () => {
    expect(
      authOptionsFrom(
        {
          NODE_ENV: 'test',
          AUTH_JWKS_URL: jwksUrl,
          AUTH_MODE: 'jwt',
          AUTH_ISSUER: ISSUER,
          AUTH_AUDIENCE: AUDIENCE,
          AUTH_CLOCK_TOLERANCE_S: 5,
          ...THROTTLE,
        },
        'svc',
      ),
    ).toEqual({
      mode: 'jwt',
      realm: 'svc',
      verifier: { jwksUrl, issuer: ISSUER, audience: AUDIENCE, clockToleranceSeconds: 5 },
      throttle: { maxFailures: 3, windowMs: 1000 },
    });
    expect(
      authOptionsFrom({ NODE_ENV: 'development', AUTH_CLOCK_TOLERANCE_S: 30, ...THROTTLE }, 'svc'),
    ).toEqual({
      mode: 'off',
    });
  });
});

describe('throttling invalid tokens', () => {
  afterEach(() => vi.useRealTimers());

  it('answers 429 with Retry-After once a client has sent too many invalid tokens, until its window ends', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const app = await appWith({
      mode: 'jwt',
      realm: 'svc',
      verifier: verifierFor({ jwksUrl }),
      throttle: { maxFailures: 3, windowMs: 60_000 },
    });
    const good = await variant({});
    const bad = await variant({ iss: 'https://someone-else' });
    const call = (token: string, remoteAddress = '192.0.2.1') =>
      app.inject({ url: '/v1/things', remoteAddress, headers: { authorization: `Bearer ${token}` } });
    // A missing token is not a guess and does not count.
    for (let i = 0; i < 5; i++) expect((await app.inject({ url: '/v1/things' })).statusCode).toBe(401);
    for (let i = 0; i < 3; i++) expect((await call(bad)).statusCode).toBe(401);
    const refused = await call(good);
    expect(refused.statusCode).toBe(429);
    expect(refused.json().error).toMatchObject({ code: 'RATE_LIMITED', type: 'client', retryAfter: 60 });
    expect(refused.headers['retry-after']).toBe('60');
    // Another client is unaffected.
    expect((await call(good, '192.0.2.2')).statusCode).toBe(200);
    vi.setSystemTime(Date.now() + 30_000);
    expect(Number((await call(good)).headers['retry-after'])).toBe(30);
    vi.setSystemTime(Date.now() + 30_000);
    expect((await call(good)).statusCode).toBe(200);
    await app.close();
  });
});
