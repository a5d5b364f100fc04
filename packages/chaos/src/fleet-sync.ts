import type { FastifyBaseLogger } from 'fastify';
import type { Kysely } from 'kysely';
import pg from 'pg';
import { type Fault, isDependencyFault, isExpired } from './fault.js';
import type { StopWhen } from './stop-condition.js';
import { CHAOS_CHANNEL, type ChaosTables, endFaults, loadSnapshot, type Snapshot } from './store.js';

export interface FleetSyncOptions {
  db: Kysely<ChaosTables>;
  /** A connection string for LISTEN; absent = polling only. */
  listenUrl?: string | undefined;
  pollIntervalMs: number;
  log: FastifyBaseLogger;
  /** Told of the faults this replica recorded as expired. */
  onExpired?: (faults: readonly Fault[]) => void;
}

const RECONNECT_DELAY_MS = 2000;
const CONNECT_TIMEOUT_MS = 5000;

/**
 * One replica's copy of the fleet's chaos state. The hot path reads `httpFaults` and `dependencyFaults`
 * (no query per request); the copy is reloaded on every NOTIFY from any replica, every `pollIntervalMs`
 * in case a notification was lost, and when the earliest fault expires. Expiry is also checked against the
 * clock on every decision, so a replica cut off from PostgreSQL still stops injecting when a fault expires.
 */
export class FleetSync {
  #snapshot: Snapshot = { enabled: false, defaultStopWhen: null, faults: [] };
  #http: Fault[] = [];
  #dependency: Fault[] = [];
  #running: Promise<void> | undefined;
  #next: Promise<void> | undefined;
  #stopped = false;
  #poll: NodeJS.Timeout | undefined;
  #expiry: NodeJS.Timeout | undefined;
  #reconnect: NodeJS.Timeout | undefined;
  #listener: pg.Client | undefined;
  #connecting: Promise<void> | undefined;
  #failing = false;

  constructor(private readonly options: FleetSyncOptions) {}

  get enabled(): boolean {
    return this.#snapshot.enabled;
  }

  /** The service-wide stop condition of faults that declare none. */
  get defaultStopWhen(): StopWhen | undefined {
    return this.#snapshot.defaultStopWhen ?? undefined;
  }

  /** Faults not yet ended in PostgreSQL; some may have just expired by the clock. */
  get faults(): readonly Fault[] {
    return this.#snapshot.faults;
  }

  /** HTTP faults, empty while injection is disabled. */
  get httpFaults(): readonly Fault[] {
    return this.#http;
  }

  /** Dependency faults, empty while injection is disabled. */
  get dependencyFaults(): readonly Fault[] {
    return this.#dependency;
  }

  activeFaults(now = Date.now()): Fault[] {
    return this.#snapshot.faults.filter((fault) => !isExpired(fault, now));
  }

  async start(): Promise<void> {
    await this.refresh();
    this.#poll = setInterval(() => void this.refresh(), this.options.pollIntervalMs).unref();
    if (this.options.listenUrl !== undefined) {
      this.#connecting = this.#listen(this.options.listenUrl);
      await this.#connecting;
    }
  }

  /** Reloads from PostgreSQL; resolves once a reload that began after this call has finished. */
  refresh(): Promise<void> {
    if (this.#running) {
      this.#next ??= this.#running.then(() => {
        this.#next = undefined;
        return this.refresh();
      });
      return this.#next;
    }
    this.#running = this.#reload().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  /** Drops faults from the local copy at once (before the reload confirms it), so a kill acts immediately. */
  forget(ids: ReadonlySet<string> | 'all'): void {
    this.#set({
      ...this.#snapshot,
      faults: ids === 'all' ? [] : this.#snapshot.faults.filter((fault) => !ids.has(fault.id)),
    });
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#poll);
    clearTimeout(this.#expiry);
    clearTimeout(this.#reconnect);
    const listener = this.#listener;
    this.#listener = undefined;
    await listener?.end().catch(() => undefined);
    await this.#connecting;
    await this.#running?.catch(() => undefined);
  }

  async #reload(): Promise<void> {
    if (this.#stopped) return;
    try {
      let snapshot = await loadSnapshot(this.options.db);
      const now = Date.now();
      if (snapshot.faults.some((fault) => isExpired(fault, now))) {
        // Every replica may sweep; the row lock lets exactly one of them record each expiry.
        const expired = await endFaults(this.options.db, { expiredOnly: true }, 'expired', 'system');
        for (const fault of expired) {
          this.options.log.info({ faultId: fault.id, kind: fault.kind }, 'chaos fault expired');
        }
        if (expired.length > 0) this.options.onExpired?.(expired);
        snapshot = await loadSnapshot(this.options.db);
      }
      if (!this.#stopped) this.#set(snapshot);
      if (this.#failing) this.options.log.info('chaos: reloading faults from PostgreSQL again');
      this.#failing = false;
    } catch (error) {
      // Once per outage, not once per poll; expiry still applies by the clock meanwhile.
      if (!this.#failing)
        this.options.log.warn({ err: error }, 'chaos: could not reload faults from PostgreSQL');
      this.#failing = true;
    }
  }

  #set(snapshot: Snapshot): void {
    this.#snapshot = snapshot;
    const live = snapshot.enabled ? snapshot.faults : [];
    this.#http = live.filter((fault) => !isDependencyFault(fault));
    this.#dependency = live.filter(isDependencyFault);
    clearTimeout(this.#expiry);
    const next = Math.min(...snapshot.faults.map((fault) => fault.expiresAt.getTime()));
    if (Number.isFinite(next) && !this.#stopped) {
      const wait = Math.max(0, next - Date.now()) + 10;
      this.#expiry = setTimeout(() => void this.refresh(), Math.min(wait, 2 ** 31 - 1)).unref();
    }
  }

  async #listen(url: string): Promise<void> {
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
    let lost = false;
    const retry = (error: unknown) => {
      if (lost) return;
      lost = true;
      if (this.#listener === client) this.#listener = undefined;
      client.end().catch(() => undefined);
      if (this.#stopped) return;
      this.options.log.warn({ err: error }, 'chaos: LISTEN connection lost; polling until it is back');
      clearTimeout(this.#reconnect);
      this.#reconnect = setTimeout(() => {
        this.#connecting = this.#listen(url);
      }, RECONNECT_DELAY_MS).unref();
    };
    client.on('error', retry);
    client.on('end', () => retry(new Error('connection ended')));
    client.on('notification', () => void this.refresh());
    try {
      await client.connect();
      await client.query(`LISTEN ${CHAOS_CHANNEL}`);
    } catch (error) {
      retry(error);
      return;
    }
    if (this.#stopped) {
      lost = true;
      await client.end().catch(() => undefined);
      return;
    }
    this.#listener = client;
    // Changes made while we were not listening.
    void this.refresh();
  }
}
