import type { OutgoingHttpHeaders } from 'node:http';
import { Type } from '@sinclair/typebox';
import type { ServiceApp } from '@steadfast/service-kit';
import type { IncidentEventService } from '../../events/event.service.js';
import type { IncidentEventBus } from '../../events/event-bus.js';
import type { IncidentEvent } from '../../events/incident-event.js';

const REPLAY_BATCH = 500;
const RECONNECT_MS = 3000;

const EventId = Type.String({ pattern: '^\\d{1,15}$', description: 'The id of the last event received' });
const StreamHeaders = Type.Object({ 'last-event-id': Type.Optional(EventId) });
const StreamQuery = Type.Object({ lastEventId: Type.Optional(EventId) }, { additionalProperties: false });

const frame = (event: IncidentEvent) =>
  `id: ${event.id}\nevent: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;

export interface StreamRoutesOptions {
  /** Guarded: the replay a reconnecting client asks for goes through the database breaker. */
  events: Pick<IncidentEventService, 'after'>;
  bus: IncidentEventBus;
  heartbeatMs: number;
}

/**
 * `GET /stream`: Server-Sent Events of incident changes. Events are stored with increasing ids, so a client that
 * reconnects with `Last-Event-ID` first gets what it missed, then live events; comment lines keep it alive.
 */
export async function incidentStreamRoutes(
  app: ServiceApp,
  { events, bus, heartbeatMs }: StreamRoutesOptions,
) {
  const streams = new Set<() => void>();
  // Open streams would keep server.close() waiting for ever; end them before the server closes.
  const endAll = async () => {
    for (const end of streams) end();
  };
  app.addHook('preClose', endAll);
  app.addHook('onClose', endAll);

  app.get(
    '/stream',
    {
      config: { scope: 'incidents:read' },
      schema: {
        tags: ['incidents'],
        summary: 'Live incident events (Server-Sent Events)',
        description:
          'Events `incident.created`, `incident.updated` and `incident.resolved`, each with an `id:` line. ' +
          'Reconnect with `Last-Event-ID` (or `?lastEventId=`) to replay missed events. ' +
          `Comment lines are sent as heartbeats.`,
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
      reply.hijack();
      const res = reply.raw;
      // A stream is meant to stay open: no idle timeout applies to its socket.
      request.raw.socket.setTimeout(0);
      res.writeHead(200, {
        ...(reply.getHeaders() as OutgoingHttpHeaders),
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      res.write(`retry: ${RECONNECT_MS}\n\n`);

      const send = (event: IncidentEvent) => {
        if (!res.writableEnded && !res.destroyed) res.write(frame(event));
      };
      let replaying = resumeFrom !== undefined;
      const held: IncidentEvent[] = [];
      // Subscribe before replaying, so an event committed during the replay is held rather than lost.
      const unsubscribe = bus.subscribe((event) => (replaying ? held.push(event) : send(event)));
      const heartbeat = setInterval(() => res.write(': heartbeat\n\n'), heartbeatMs);
      heartbeat.unref();
      const end = () => {
        clearInterval(heartbeat);
        unsubscribe();
        streams.delete(end);
        if (!res.writableEnded) res.end();
      };
      streams.add(end);
      res.on('close', end);

      if (replaying) {
        let position = Number(resumeFrom);
        try {
          for (;;) {
            const batch = await events.after(position, REPLAY_BATCH);
            for (const event of batch) send(event);
            position = batch.at(-1)?.id ?? position;
            if (batch.length < REPLAY_BATCH || res.writableEnded) break;
          }
        } catch (error) {
          request.log.error({ err: error }, 'incident stream: replay failed; closing the stream');
          end();
          return reply;
        }
        replaying = false;
        // Events commit in id order, so the held ones the replay already sent are those up to its position.
        for (const event of held.splice(0)) if (event.id > position) send(event);
      }
      return reply;
    },
  );
}
