import type { OutgoingHttpHeaders } from 'node:http';
import { Type } from '@sinclair/typebox';
import { callerOf } from '@steadfast/auth';
import type { ServiceApp } from '@steadfast/service-kit';
import { Gauge } from 'prom-client';
import type { IncidentEventService } from '../../events/event.service.js';
import type { IncidentEventBus } from '../../events/event-bus.js';
import type { IncidentEvent } from '../../events/incident-event.js';
import { SseWriter, type SseWriterOptions } from '../../events/sse-writer.js';
import { type StreamSlotLimits, StreamSlots } from '../../events/stream-slots.js';

// Events a replay loads at once: what a stream holds in memory while its client reads, whatever the log's size.
const REPLAY_BATCH = 25;
const RECONNECT_MS = 3000;

export interface StreamLimits extends StreamSlotLimits, SseWriterOptions {
  /** Most events one replay sends; a client further behind gets the latest ones after `replay.truncated`. */
  replayMax: number;
}

export const DEFAULT_STREAM_LIMITS: StreamLimits = {
  maxStreams: 500,
  maxStreamsPerClient: 5,
  maxBufferedBytes: 1024 * 1024,
  drainTimeoutMs: 10_000,
  replayMax: 1000,
};

const EventId = Type.String({ pattern: '^\\d{1,15}$', description: 'The id of the last event received' });
const StreamHeaders = Type.Object({ 'last-event-id': Type.Optional(EventId) });
const StreamQuery = Type.Object({ lastEventId: Type.Optional(EventId) }, { additionalProperties: false });

const frame = (event: IncidentEvent) =>
  `id: ${event.id}\nevent: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;

export interface StreamRoutesOptions {
  /** Guarded: the replay a reconnecting client asks for goes through the database breaker. */
  events: Pick<IncidentEventService, 'after' | 'replayStart'>;
  bus: IncidentEventBus;
  heartbeatMs: number;
  limits: StreamLimits;
}

/**
 * `GET /stream`: Server-Sent Events of incident changes. Events are stored with increasing ids, so a client that
 * reconnects with `Last-Event-ID` first gets what it missed (paged from PostgreSQL, at most `replayMax`), then
 * live events; comment lines keep it alive. Streams are capped per process and per client, and one whose client
 * does not read is dropped (see SseWriter).
 */
export async function incidentStreamRoutes(
  app: ServiceApp,
  { events, bus, heartbeatMs, limits }: StreamRoutesOptions,
) {
  const streams = new Set<() => void>();
  const slots = new StreamSlots(limits);
  const openStreams = new Gauge({
    name: 'incident_streams_open',
    help: 'Open /v1/incidents/stream connections in this process',
    registers: [app.metricsRegistry],
  });
  // Open streams would keep server.close() waiting for ever; end them before the server closes.
  const endAll = async () => {
    for (const end of streams) end();
  };
  app.addHook('preClose', endAll);
  app.addHook('onClose', endAll);

  app.get(
    '/stream',
    {
      // The kit lifts the socket's idle timeout for it; the limits here bound it instead.
      config: { scope: 'incidents:read', longLived: true },
      schema: {
        tags: ['incidents'],
        summary: 'Live incident events (Server-Sent Events)',
        description:
          'Events `incident.created`, `incident.updated` and `incident.resolved`, each with an `id:` line. ' +
          'Reconnect with `Last-Event-ID` (or `?lastEventId=`) to replay missed events (at most SSE_REPLAY_MAX: ' +
          'a client further behind gets `replay.truncated`, then the latest ones). Comment lines are sent as ' +
          'heartbeats. 429 when the client has SSE_MAX_STREAMS_PER_CLIENT open, 503 when the process has ' +
          'SSE_MAX_STREAMS open.',
        headers: StreamHeaders,
        querystring: StreamQuery,
        response: {
          200: {
            description: 'text/event-stream',
            content: { 'text/event-stream': { schema: Type.String() } },
          },
        },
      },
    },
    async (request, reply) => {
      const resumeFrom = request.headers['last-event-id'] ?? request.query.lastEventId;
      // Refused before anything is written, so the answer is the error envelope with Retry-After.
      const release = slots.acquire(callerOf(request));
      openStreams.set(slots.open);
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        ...(reply.getHeaders() as OutgoingHttpHeaders),
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      const writer = new SseWriter(res, limits, (reason) =>
        request.log.warn({ reason }, 'incident stream: the client does not read; dropping it'),
      );
      writer.send(`retry: ${RECONNECT_MS}\n\n`);

      let replaying = resumeFrom !== undefined;
      const held: IncidentEvent[] = [];
      // Subscribe before replaying, so an event committed during the replay is held rather than lost.
      const unsubscribe = bus.subscribe((event) => {
        if (!replaying) writer.send(frame(event));
        // A replay that falls this far behind the live events will not catch up: the client reconnects.
        else if (held.push(event) > limits.replayMax) end();
      });
      const heartbeat = setInterval(() => writer.comment('heartbeat'), heartbeatMs);
      heartbeat.unref();
      const end = () => {
        clearInterval(heartbeat);
        unsubscribe();
        streams.delete(end);
        release();
        openStreams.set(slots.open);
        if (!res.writableEnded) res.end();
      };
      streams.add(end);
      res.on('close', end);

      if (replaying) {
        let position = Number(resumeFrom);
        try {
          const start = await events.replayStart(position, limits.replayMax);
          if (start > position) {
            writer.send(
              `event: replay.truncated\ndata: ${JSON.stringify({ after: position, resumedAfter: start })}\n\n`,
            );
            position = start;
          }
          let more = true;
          while (more) {
            const batch = await events.after(position, REPLAY_BATCH);
            more = batch.length === REPLAY_BATCH;
            for (const event of batch) {
              writer.send(frame(event));
              position = event.id;
              // A replay never outruns the socket: it waits for 'drain' (or the drop of a client that does not
              // read) before it writes on, so it holds one batch at most.
              if (writer.blocked && !(await writer.ready())) {
                more = false;
                break;
              }
            }
          }
        } catch (error) {
          request.log.error({ err: error }, 'incident stream: replay failed; closing the stream');
          end();
          return reply;
        }
        replaying = false;
        // Events commit in id order, so the held ones the replay already sent are those up to its position.
        for (const event of held.splice(0)) if (event.id > position) writer.send(frame(event));
      }
      return reply;
    },
  );
}
