import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { useTestApp } from '@steadfast/service-kit/testing';
import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { createIncident, incidentsApp, TABLES } from './helpers.js';

const t = useTestApp({
  ...incidentsApp({
    SSE_MAX_STREAMS: '3',
    SSE_MAX_STREAMS_PER_CLIENT: '2',
    SSE_MAX_BUFFERED_BYTES: '65536',
    SSE_DRAIN_TIMEOUT_MS: '300',
    SSE_REPLAY_MAX: '30',
  }),
  truncate: TABLES,
});
let port: number;
beforeAll(async () => {
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  port = (t.app.server.address() as { port: number }).port;
});

interface Opened {
  socket: Socket;
  status: number;
  head: string;
  /** What followed the head in the first chunks. */
  rest: string;
}

/** A stream request on a raw socket from `from` (a loopback address: another client); reads only its head. */
async function openStream(from: string, headers = ''): Promise<Opened> {
  const socket = connect({ port, host: '127.0.0.1', localAddress: from });
  await once(socket, 'connect');
  socket.write(`GET /v1/incidents/stream HTTP/1.1\r\nhost: 127.0.0.1\r\n${headers}\r\n`);
  let text = '';
  while (!text.includes('\r\n\r\n')) {
    const [chunk] = (await once(socket, 'data')) as [Buffer];
    text += chunk.toString('latin1');
  }
  socket.pause();
  const [head = '', rest = ''] = text.split('\r\n\r\n');
  return { socket, status: Number(head.split(' ')[1]), head, rest };
}

async function openGauge(): Promise<number> {
  const metrics = (await t.app.inject({ url: '/metrics' })).body;
  return Number(/^incident_streams_open(?:\{[^}]*\})? (\d+)$/m.exec(metrics)?.[1]);
}

/** Waits (a bounded number of polls) until the open-streams gauge reads `n`. */
async function gaugeReaches(n: number) {
  for (let i = 0; i < 200 && (await openGauge()) !== n; i++) await new Promise((r) => setTimeout(r, 25));
  return openGauge();
}

const header = (head: string, name: string) => new RegExp(`^${name}: (.*)$`, 'im').exec(head)?.[1]?.trim();

describe('stream caps', () => {
  it('answers 429 past SSE_MAX_STREAMS_PER_CLIENT and 503 past SSE_MAX_STREAMS, with Retry-After and the envelope', async () => {
    const a1 = await openStream('127.0.0.1');
    const a2 = await openStream('127.0.0.1');
    expect([a1.status, a2.status]).toEqual([200, 200]);
    const a3 = await openStream('127.0.0.1');
    expect(a3.status).toBe(429);
    expect(header(a3.head, 'retry-after')).toBe('5');
    expect(JSON.parse(a3.rest).error.code).toBe('RATE_LIMITED');

    const b1 = await openStream('127.0.0.2');
    expect(b1.status).toBe(200);
    expect(await gaugeReaches(3)).toBe(3);
    const c1 = await openStream('127.0.0.3');
    expect(c1.status).toBe(503);
    expect(header(c1.head, 'retry-after')).toBe('5');
    expect(JSON.parse(c1.rest).error.code).toBe('OVERLOADED');

    // A closed stream gives its slot back.
    a1.socket.destroy();
    expect(await gaugeReaches(2)).toBe(2);
    const c2 = await openStream('127.0.0.3');
    expect(c2.status).toBe(200);
    for (const s of [a2, a3, b1, c1, c2]) s.socket.destroy();
    expect(await gaugeReaches(0)).toBe(0);
  });
});

describe('backpressure and replay', () => {
  it('drops a client that does not read while its replay is written, holding a bounded amount for it', async () => {
    const { id } = await createIncident(t.app);
    // 30 events of 400 KB: 12 MB to replay, far more than the socket buffers hold.
    await sql`
      insert into incident_events (type, incident_id, payload)
      select 'incident.updated', ${id}::uuid, jsonb_build_object('pad', repeat('x', 400000))
      from generate_series(1, 30)
    `.execute(t.app.db);
    const stalled = await openStream('127.0.0.4', 'last-event-id: 0\r\n');
    expect(stalled.status).toBe(200);
    expect(await gaugeReaches(0)).toBe(0);

    let bytes = 0;
    stalled.socket.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
    });
    stalled.socket.resume();
    await once(stalled.socket, 'close');
    expect(bytes).toBeLessThan(30 * 400_000);
  });

  it('replays at most SSE_REPLAY_MAX events, the latest, after a replay.truncated event', async () => {
    const { id } = await createIncident(t.app);
    await sql`
      insert into incident_events (type, incident_id, payload)
      select 'incident.updated', ${id}::uuid, '{}'::jsonb from generate_series(1, 49)
    `.execute(t.app.db);
    const response = await fetch(`http://127.0.0.1:${port}/v1/incidents/stream`, {
      headers: { 'last-event-id': '0' },
      signal: AbortSignal.timeout(10_000),
    });
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = '';
    while (!text.includes('id: 50\n')) text += (await reader.read()).value ?? '';
    await reader.cancel();
    expect(text).toContain('event: replay.truncated\ndata: {"after":0,"resumedAfter":20}\n\n');
    const ids = [...text.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]));
    expect(ids).toEqual(Array.from({ length: 30 }, (_, i) => 21 + i));
  });
});
