import { useTestApp } from '@steadfast/service-kit/testing';
import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { usersApp } from './helpers.js';

const SECRET = 'users-api-test-secret-of-32-characters-or-more';
const ISSUER = 'https://id.example.test/';
const AUDIENCE = 'users-api';
const t = useTestApp(
  usersApp({ AUTH_MODE: 'jwt', AUTH_JWT_SECRET: SECRET, AUTH_ISSUER: ISSUER, AUTH_AUDIENCE: AUDIENCE }),
);

const token = (scope: string) =>
  new SignJWT({ scope })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setSubject('operator-1')
    .setExpirationTime('5m')
    .sign(new TextEncoder().encode(SECRET));

const create = (authorization?: string) =>
  t.app.inject({
    method: 'POST',
    url: '/v1/users',
    headers: authorization ? { authorization } : {},
    payload: { name: 'Ada', email: `ada-${Math.random()}@example.com` },
  });

describe('users-api with AUTH_MODE=jwt', () => {
  it('refuses a token-less write with 401 and writes nothing', async () => {
    const response = await create();
    expect(response.statusCode).toBe(401);
    expect(response.headers['www-authenticate']).toMatch(/^Bearer realm="users-api"/);
    expect(response.json().error.code).toBe('UNAUTHENTICATED');
    const list = await t.app.inject({
      url: '/v1/users',
      headers: { authorization: `Bearer ${await token('users:read')}` },
    });
    expect(list.json().data).toEqual([]);
  });

  it('403 for a read-only token on a write, 201 with users:write', async () => {
    expect((await create(`Bearer ${await token('users:read')}`)).statusCode).toBe(403);
    expect((await create(`Bearer ${await token('users:read users:write')}`)).statusCode).toBe(201);
  });

  it('leaves the probes open', async () => {
    expect((await t.app.inject({ url: '/health/live' })).statusCode).toBe(200);
  });
});
