import { startTestApp, useTestApp } from '@steadfast/service-kit/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  CHAOS_ADMIN_TOKEN,
  createIncident,
  failGuardedDatabaseCalls,
  incidentsApp,
  patchIncident,
} from './helpers.js';

// A real listening port: streaming is about HTTP itself.
const t = useTestApp(incidentsApp());
let base: string;
beforeAll(async () => {
  base = await t.app.listen({ port: 0, host: '127.0.0.1' });
});

interface SseMessage {
  id?: string;
  event?: string;
  data?: string;
  comment?: string;
}

/** Reads an SSE response until `until` accepts the messages so far (or the timeout passes), then aborts. */
async function readStream(
  headers: Record<string, string>,
  until: (messages: SseMessage[]) => boolean,
  onOpen: () => Promise<unknown> = async () => undefined,
) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), 5000);
  const response = await fetch(`${base}/v1/incidents/stream`, { headers, signal: controller.signal });
  const messages: SseMessage[] = [];
  try {
    const opened = onOpen();
    const decoder = new TextDecoder();
    let buffer = '';
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true });
      let end = buffer.indexOf('\n\n');
      while (end !== -1) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const message: SseMessage = {};
        for (const line of block.split('\n')) {
          if (line.startsWith(':')) message.comment = line.slice(1).trim();
          const [, field, value] = /^(id|event|data): (.*)$/.exec(line) ?? [];
          if (field) message[field as 'id' | 'event' | 'data'] = value;
        }
        messages.push(message);
        end = buffer.indexOf('\n\n');
      }
      if (until(messages)) break;
    }
    await opened;
  } catch (error) {
    if (!controller.signal.aborted) throw error;
  } finally {
    clearTimeout(timer);
    controller.abort();
  }
  return { response, messages };
}

const events = (messages: SseMessage[]) => messages.filter((m) => m.event);

describe('GET /v1/incidents/stream', () => {
  it('delivers an event for a change made through the API, with an id line, and heartbeats', async () => {
    let incidentId = '';
    const { response, messages } = await readStream(
      {},
      (all) => events(all).length >= 2 && all.some((m) => m.comment === 'heartbeat'),
      async () => {
        // Let the stream subscribe before changing anything.
        await new Promise((resolve) => setTimeout(resolve, 100));
        incidentId = (await createIncident(t.app, { title: 'Streamed' })).id;
        await patchIncident(t.app, incidentId, { status: 'resolved' });
      },
    );
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(response.headers.get('x-request-id')).toBeTruthy();
    const [created, resolved] = events(messages);
    expect(created?.event).toBe('incident.created');
    expect(created?.id).toMatch(/^\d+$/);
    const body = JSON.parse(created?.data ?? '{}');
    expect(body).toMatchObject({ id: Number(created?.id), type: 'incident.created', incidentId });
    expect(body.incident).toMatchObject({ id: incidentId, title: 'Streamed', status: 'open' });
    expect(resolved?.event).toBe('incident.resolved');
    expect(Number(resolved?.id)).toBeGreaterThan(Number(created?.id));
    expect(messages.some((m) => m.comment === 'heartbeat')).toBe(true);
  });

  it('replays what a client missed after Last-Event-ID, then goes on live', async () => {
    const first = await createIncident(t.app, { title: 'Seen' });
    const lastSeen = (
      await t.app.db
        .selectFrom('incident_events')
        .select('id')
        .orderBy('id', 'desc')
        .executeTakeFirstOrThrow()
    ).id;
    await patchIncident(t.app, first.id, { severity: 'critical' });
    const missed = await createIncident(t.app, { title: 'Missed' });

    const { messages } = await readStream(
      { 'last-event-id': String(lastSeen) },
      (all) => events(all).length >= 3,
      async () => {
        await new Promise((resolve) => setTimeout(resolve, 200));
        await patchIncident(t.app, missed.id, { status: 'investigating' });
      },
    );
    const received = events(messages).map((m) => [m.event, JSON.parse(m.data ?? '{}').incident.title]);
    expect(received).toEqual([
      ['incident.updated', 'Seen'],
      ['incident.created', 'Missed'],
      ['incident.updated', 'Missed'],
    ]);
    const ids = events(messages).map((m) => Number(m.id));
    expect(ids[0]).toBe(lastSeen + 1);
    expect([...ids].sort((a, b) => a - b)).toEqual(ids);
  });

  it('delivers changes committed by another replica (LISTEN/NOTIFY), once each', async () => {
    const replica = await startTestApp({ ...incidentsApp(), database: t.database });
    try {
      let incidentId = '';
      const { messages } = await readStream(
        {},
        (all) => events(all).length >= 2,
        async () => {
          await new Promise((resolve) => setTimeout(resolve, 100));
          incidentId = (await createIncident(replica.app, { title: 'Elsewhere' })).id;
          await patchIncident(replica.app, incidentId, { status: 'monitoring' });
        },
      );
      const received = events(messages).map((m) => [m.event, JSON.parse(m.data ?? '{}').incidentId]);
      expect(received).toEqual([
        ['incident.created', incidentId],
        ['incident.updated', incidentId],
      ]);
      // Events this replica made itself arrive once, though the relay hears about them too.
      const local = await readStream(
        {},
        (all) => events(all).length >= 2,
        async () => {
          await new Promise((resolve) => setTimeout(resolve, 100));
          await patchIncident(t.app, incidentId, { title: 'Here' });
          await patchIncident(replica.app, incidentId, { title: 'There' });
        },
      );
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(events(local.messages).map((m) => JSON.parse(m.data ?? '{}').incident.title)).toEqual([
        'Here',
        'There',
      ]);
    } finally {
      await replica.close();
    }
  });

  it('replays through the database guard: while database calls fail, a resuming stream ends at once', async () => {
    const chaotic = await startTestApp(incidentsApp({ CHAOS_ENABLED: 'true', CHAOS_ADMIN_TOKEN }));
    try {
      const url = await chaotic.app.listen({ port: 0, host: '127.0.0.1' });
      await failGuardedDatabaseCalls(chaotic.app);
      // A replay past the guard would succeed and keep the stream open.
      const response = await fetch(`${url}/v1/incidents/stream`, {
        headers: { 'last-event-id': '0' },
        signal: AbortSignal.timeout(5000),
      });
      expect(response.status).toBe(200);
      expect(await response.text()).toMatch(/^retry: 3000\n\n(: heartbeat\n\n)*$/);
    } finally {
      await chaotic.close();
    }
  });

  it('rejects a Last-Event-ID that is not a number with 400', async () => {
    const response = await fetch(`${base}/v1/incidents/stream`, { headers: { 'last-event-id': 'abc' } });
    expect(response.status).toBe(400);
  });

  it('ends open streams when the t.app closes, so shutdown does not hang', async () => {
    const other = await startTestApp(incidentsApp());
    const url = await other.app.listen({ port: 0, host: '127.0.0.1' });
    const response = await fetch(`${url}/v1/incidents/stream`);
    expect(response.status).toBe(200);
    const reader = response.body!.getReader();
    await reader.read();
    const started = Date.now();
    await other.close();
    expect(Date.now() - started).toBeLessThan(5000);
    // The server ended the response: the reader sees the end of the stream (or a reset), never hangs.
    let done = false;
    for (let reads = 0; !done && reads < 100; reads++) {
      done = (await reader.read().catch(() => ({ done: true }))).done;
    }
    expect(done).toBe(true);
  });
});
