import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Notification, PoolClient } from 'pg';
import { INCIDENT_EVENTS_CHANNEL } from './event.repository.js';
import type { IncidentEventService } from './event.service.js';
import type { IncidentEventBus } from './event-bus.js';

const RECONNECT_MS = 1000;

export interface EventRelayOptions {
  bus: IncidentEventBus;
  /** Loads the notified events; guarded, so that an outage opens the database breaker here too. */
  events: Pick<IncidentEventService, 'byIds'>;
}

/**
 * Brings events committed by other replicas to this one's streams: once the app is ready it LISTENs on one pooled
 * connection, loads the notified events and publishes them (the bus drops the ones this process already
 * published). A lost connection is retried; events committed meanwhile reach clients when they reconnect with
 * Last-Event-ID.
 */
async function eventRelay(app: FastifyInstance, { bus, events }: EventRelayOptions) {
  const { pool } = app.database;
  let client: PoolClient | undefined;
  let stopped = false;
  let retry: NodeJS.Timeout | undefined;

  const onNotification = (message: Notification) => {
    if (message.channel !== INCIDENT_EVENTS_CHANNEL || !message.payload) return;
    const ids = message.payload.split(',').map(Number).filter(Number.isSafeInteger);
    events.byIds(ids).then(
      (loaded) => bus.publish(loaded),
      (error: unknown) =>
        app.log.warn({ err: error }, 'incident event relay: could not load notified events'),
    );
  };

  const drop = (error?: Error) => {
    const lost = client;
    client = undefined;
    lost?.off('notification', onNotification);
    lost?.release(error ?? true);
  };

  async function connect(): Promise<void> {
    if (stopped) return;
    try {
      const connected = await pool.connect();
      if (stopped) {
        connected.release(true);
        return;
      }
      client = connected;
      connected.on('notification', onNotification);
      connected.once('error', (error) => {
        app.log.warn({ err: error }, 'incident event relay: connection lost; reconnecting');
        drop(error);
        schedule();
      });
      await connected.query(`listen ${INCIDENT_EVENTS_CHANNEL}`);
    } catch (error) {
      if (stopped) return;
      app.log.warn({ err: error }, 'incident event relay: could not listen; retrying');
      drop(error as Error);
      schedule();
    }
  }

  function schedule() {
    if (stopped) return;
    retry = setTimeout(() => void connect(), RECONNECT_MS);
    retry.unref();
  }

  // The connection goes back before the pool closes: the pool waits for every checked-out client.
  const stop = async () => {
    stopped = true;
    clearTimeout(retry);
    drop();
  };

  app.addHook('onReady', connect);
  app.addHook('preClose', stop);
  app.addHook('onClose', stop);
}

export const eventRelayPlugin = fp(eventRelay, {
  name: '@steadfast/incidents-api/event-relay',
  fastify: '5.x',
  dependencies: ['@steadfast/service-kit/database'],
});
