import type { FastifyBaseLogger } from 'fastify';
import type { Kysely } from 'kysely';
import type { Notification, Pool, PoolClient } from 'pg';
import type { Database } from '../db/schema.js';
import type { IncidentEventBus } from './bus.js';
import { incidentEventsByIds } from './repository.js';

/** The channel a transaction that stores incident events notifies, with their ids, when it commits. */
export const INCIDENT_EVENTS_CHANNEL = 'incident_events';

const RECONNECT_MS = 1000;

export interface RelayOptions {
  pool: Pool;
  db: Kysely<Database>;
  bus: IncidentEventBus;
  log: FastifyBaseLogger;
}

/**
 * Brings events committed by other replicas to this one's streams: LISTENs on one pooled connection, loads the
 * notified events and publishes them (the bus drops the ones this process already published). A lost connection
 * is retried; events committed meanwhile reach clients when they reconnect with Last-Event-ID.
 */
export function incidentEventRelay({ pool, db, bus, log }: RelayOptions) {
  let client: PoolClient | undefined;
  let stopped = false;
  let retry: NodeJS.Timeout | undefined;

  const onNotification = (message: Notification) => {
    if (message.channel !== INCIDENT_EVENTS_CHANNEL || !message.payload) return;
    const ids = message.payload.split(',').map(Number).filter(Number.isSafeInteger);
    incidentEventsByIds(db, ids).then(
      (events) => bus.publish(events),
      (error: unknown) => log.warn({ err: error }, 'incident event relay: could not load notified events'),
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
        log.warn({ err: error }, 'incident event relay: connection lost; reconnecting');
        drop(error);
        schedule();
      });
      await connected.query(`listen ${INCIDENT_EVENTS_CHANNEL}`);
    } catch (error) {
      if (stopped) return;
      log.warn({ err: error }, 'incident event relay: could not listen; retrying');
      drop(error as Error);
      schedule();
    }
  }

  function schedule() {
    if (stopped) return;
    retry = setTimeout(() => void connect(), RECONNECT_MS);
    retry.unref();
  }

  return {
    start: connect,
    /** Gives the connection back before the pool closes (the pool waits for every checked-out client). */
    stop() {
      stopped = true;
      clearTimeout(retry);
      drop();
    },
  };
}
