import { useTestApp } from '@steadfast/service-kit/testing';
import { fuzzOperations, PROTOCOL_CASES, sendRaw } from '@steadfast/service-kit/testing-fuzz';
import { beforeAll, describe, expect, it } from 'vitest';
import { usersApp } from '../helpers.js';

// Enough to reach every handler with valid and broken input while the whole file stays well under a minute.
const RUNS_PER_OPERATION = 100;

const t = useTestApp(usersApp());
let port: number;
beforeAll(async () => {
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  port = (t.app.server.address() as { port: number }).port;
});

async function alive() {
  const ready = await sendRaw(port, 'GET /health/ready HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n');
  expect(ready.status).toBe(200);
  expect((await t.app.inject({ url: '/v1/users' })).statusCode).toBe(200);
}

describe('users-api under fuzzing', () => {
  it('answers every operation of its OpenAPI document below 500, with the envelope on every 4xx', async () => {
    const created = await t.app.inject({
      method: 'POST',
      url: '/v1/users',
      payload: { name: 'Fuzz Target', email: 'fuzz@example.com' },
    });
    expect(created.statusCode).toBe(201);
    const { sent, frameworkRejections } = await fuzzOperations(t.app, {
      // Fastify's own 4xx bodies (no envelope) are the kit's to fix: fuzz-kit.test.ts fails on them.
      collectFrameworkRejections: true,
      numRuns: RUNS_PER_OPERATION,
      pathValues: { id: [created.json().data.id] },
    });
    expect([...sent.keys()]).toEqual(expect.arrayContaining(['POST /v1/users/', 'PATCH /v1/users/{id}']));
    if (frameworkRejections.size > 0)
      console.info('framework rejections without the envelope:', frameworkRejections);
    await alive();
  });

  it('answers protocol abuse on a raw socket below 500 and stays up', async () => {
    for (const { name, request } of PROTOCOL_CASES) {
      const answer = await sendRaw(port, request('/v1/users'));
      expect(answer.status, name).toBeLessThan(500);
    }
    await alive();
  });
});
