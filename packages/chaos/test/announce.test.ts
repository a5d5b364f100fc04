import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { BurnRateSource } from '../src/stop-condition.js';
import { AUTH, chaosTestContext, createFault, until } from './helpers.js';

const context = chaosTestContext();
const ANNOUNCE_TOKEN = 'announce-token-0123456789';

interface Received {
  authorization: string | undefined;
  body: Record<string, unknown>;
}

/** A real HTTP receiver on a port the OS picks; `answer` decides each response's status. */
async function receiver(answer: (count: number) => number | 'hang' = () => 202) {
  const received: Received[] = [];
  let count = 0;
  const server: Server = createServer((request: IncomingMessage, response) => {
    let text = '';
    request.on('data', (chunk) => {
      text += chunk;
    });
    request.on('end', () => {
      const status = answer(count++);
      received.push({ authorization: request.headers.authorization, body: JSON.parse(text) });
      if (status === 'hang') return;
      response.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/v1/integrations/chaos`, received };
}
const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

const announce = (url: string, more = {}) => ({
  announce: { url, token: ANNOUNCE_TOKEN, service: 'users-api', timeoutMs: 2_000, backoffMs: 10, ...more },
});

describe('announcements', () => {
  it('POST started and ended, with the bearer token, the expiry and who ended it', async () => {
    const { url, received } = await receiver();
    const app = await context.build(announce(url));
    const fault = await createFault(app, {
      kind: 'error',
      target: { route: '/v1/users*' },
      probability: 0.5,
      durationSeconds: 60,
    });
    await until(() => received.length === 1);
    expect(received[0]).toEqual({
      authorization: `Bearer ${ANNOUNCE_TOKEN}`,
      body: {
        event: 'started',
        experimentId: fault.id,
        service: 'users-api',
        description: '50 % errors on /v1/users*',
        at: expect.any(String),
        endsAt: fault.expiresAt,
      },
    });
    await app.inject({ method: 'DELETE', url: '/admin/chaos/faults', headers: AUTH });
    await until(() => received.length === 2);
    expect(received[1]!.body).toEqual({
      event: 'ended',
      experimentId: fault.id,
      service: 'users-api',
      description: '50 % errors on /v1/users*',
      at: expect.any(String),
      endedBy: 'kill-switch',
    });
  });

  it('say which stop condition ended an experiment, and with what value', async () => {
    const { url, received } = await receiver();
    const source: BurnRateSource = {
      slos: ['requests-availability'],
      windows: ['5m', '1h'],
      read: async () => ({ burnRates: { '5m': 40, '1h': 20 }, events: { '5m': 500 } }),
    };
    const app = await context.build({ ...announce(url), burnRates: source, stopCheckIntervalMs: 20 });
    const stopWhen = { slo: 'requests-availability', burnRate: 14.4, longWindow: '1h', shortWindow: '5m' };
    await createFault(app, {
      kind: 'latency',
      target: { dependency: 'database' },
      probability: 1,
      latencyMs: 200,
      stopWhen,
    });
    await until(() => received.some((entry) => entry.body.event === 'ended'));
    expect(received.find((entry) => entry.body.event === 'ended')!.body).toMatchObject({
      description: '200 ms latency on dependency database',
      endedBy: 'stop-condition',
      stopCondition: {
        description:
          'SLO requests-availability burns its error budget at 14.4x or more over 1h and 5m (at least 0 events in 5m)',
        value: 20,
        threshold: 14.4,
      },
    });
  });

  it('retry with backoff when the receiver fails, and say `expired` when a fault runs out', async () => {
    const { url, received } = await receiver((count) => (count < 2 ? 503 : 202));
    const app = await context.build({ ...announce(url), pollIntervalMs: 50 });
    const fault = await createFault(app, {
      kind: 'abort',
      target: {},
      probability: 0.25,
      durationSeconds: 1,
    });
    await until(() => received.length === 3);
    expect(received.map((entry) => entry.body.event)).toEqual(['started', 'started', 'started']);
    await until(() => received.length === 4);
    expect(received[3]!.body).toMatchObject({ event: 'ended', experimentId: fault.id, endedBy: 'expired' });
    expect(await app.metricsRegistry.metrics()).not.toContain('chaos_announcements_failed_total{');
  });

  it('never hold up the admin API: a receiver that does not answer costs a log line and a metric', async () => {
    const { url, received } = await receiver(() => 'hang');
    const lines: string[] = [];
    const app = await context.build(announce(url, { retries: 1 }), lines);
    const created = await app.inject({
      method: 'POST',
      url: '/admin/chaos/faults',
      headers: AUTH,
      payload: { kind: 'error', target: {}, probability: 1 },
    });
    expect(created.statusCode).toBe(201);
    expect(received.length).toBeLessThanOrEqual(1);
    await until(() => lines.some((line) => line.includes('could not announce the experiment')));
    expect(await app.metricsRegistry.metrics()).toContain(
      'chaos_announcements_failed_total{event="started"} 1',
    );
    expect(received).toHaveLength(2);
  });

  it.each([
    [{ url: 'ftp://x' }, 'announce.url'],
    [{ token: 'short' }, 'announce.token'],
    [{ service: '' }, 'announce.service'],
  ])('refuse a bad option %o at registration', async (bad, name) => {
    await expect(
      context.build({
        announce: { url: 'http://127.0.0.1:9/x', token: ANNOUNCE_TOKEN, service: 's', ...bad },
      }),
    ).rejects.toThrow(`Invalid option ${name}`);
  });
});
