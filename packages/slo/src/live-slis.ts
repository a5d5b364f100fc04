import type { Kysely } from 'kysely';
import { type AlertWindow, alertWindows, type BurnRateWindow } from './alert-windows.js';
import { MINUTES_PER_DAY } from './duration.js';
import type { LiveSlo, LiveSloDefinition, SliKind } from './live-slo.js';
import { liveSlos } from './live-slo.js';
import type { WindowCounts } from './sli.js';
import { SliBuckets } from './sli-buckets.js';
import { isGood, type ServedRequest } from './sli-event.js';
import { type HistoryWindow, historyPlan, historyPoints, type SliHistoryPoint } from './sli-history.js';
import { sliStore } from './sli-store.js';
import {
  addCounts,
  burnWindowStarts,
  emptyCounts,
  MINUTE_MS,
  minuteOf,
  windowStarts,
} from './sli-windows.js';
import { type SloStatus, sloStatus } from './slo-status.js';

/** Rows are kept a day longer than their SLO's period, then deleted by a flush. */
export const RETENTION_MARGIN_DAYS = 1;
/** How often a flush also deletes expired rows. */
export const PRUNE_INTERVAL_MS = 60 * MINUTE_MS;

export interface LiveSlisOptions {
  slos: readonly LiveSloDefinition[];
  /** Any Kysely handle on a database with the `sloMigrations` table. */
  // biome-ignore lint/suspicious/noExplicitAny: each app passes its own Kysely<AppDatabase>
  db: Kysely<any>;
  /** ms since the epoch; tests move it. */
  now?: () => number;
}

/** What `/v1/slo` reports: `sloStatus()` plus what the SLO measures and the period's counts. */
export interface LiveSloStatus extends SloStatus {
  kind: SliKind;
  /** The SLO-wide latency threshold; null for availability. */
  thresholdMs: number | null;
  /** Events over the period, stored and not yet flushed. */
  events: WindowCounts;
  /** Events over each burn-rate window, stored and not yet flushed. */
  windowEvents: Record<BurnRateWindow, WindowCounts>;
}

/** What `/v1/slo/:name/history` reports: the SLI and burn rate per step, and the lines to draw on them. */
export interface SloHistory {
  name: string;
  window: HistoryWindow;
  stepMinutes: number;
  objective: number;
  /** The burn rates at which each alert tier fires (both of its windows above the factor). */
  alerts: AlertWindow[];
  points: SliHistoryPoint[];
}

export interface FlushResult {
  /** (SLO, minute) rows written. */
  rows: number;
  /** Expired rows deleted. */
  pruned: number;
}

export interface LiveSlis {
  readonly slos: readonly LiveSlo[];
  /** Counts one answered request against every SLO. Synchronous and in memory: never waits for the database. */
  record(request: ServedRequest): void;
  /**
   * Adds the counts gathered since the last flush to the database. If the write fails the counts stay in
   * memory for the next flush and the error is rethrown. Flushes and status reads run one at a time.
   */
  flush(): Promise<FlushResult>;
  /** Status of every SLO, or of the named ones, from the database plus the counts not yet flushed. */
  status(names?: readonly string[]): Promise<LiveSloStatus[]>;
  /** One SLO's SLI and burn rate over the window, stored and not yet flushed; undefined for an unknown name. */
  history(name: string, window: HistoryWindow): Promise<SloHistory | undefined>;
  /** (SLO, minute) buckets waiting for a flush. */
  readonly pendingMinutes: number;
}

/** The framework-free core of the live SLIs: in-memory minute buckets, flushed to and read from PostgreSQL. */
export function liveSlis(options: LiveSlisOptions): LiveSlis {
  const slos = liveSlos(options.slos);
  const now = options.now ?? Date.now;
  const store = sliStore(options.db);
  const buckets = new SliBuckets();
  let lastPrune = Number.NEGATIVE_INFINITY;

  // Reads and flushes take turns: a read then sees each event exactly once, either in the database or in
  // the buckets, never in a flush half-way between them.
  let tail: Promise<unknown> = Promise.resolve();
  function exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = tail.then(work, work);
    tail = run.catch(() => undefined);
    return run;
  }

  async function prune(at: number): Promise<number> {
    if (at - lastPrune < PRUNE_INTERVAL_MS) return 0;
    const retainedMs = (days: number) => (days + RETENTION_MARGIN_DAYS) * MINUTES_PER_DAY * MINUTE_MS;
    try {
      const pruned = await store.prune(
        slos.map((s) => ({ slo: s.name, before: at - retainedMs(s.periodDays) })),
      );
      lastPrune = at;
      return pruned;
    } catch (error) {
      throw new Error('SLI counts were written but expired rows could not be deleted', { cause: error });
    }
  }

  return {
    slos,

    record(request) {
      const minute = minuteOf(now());
      for (const slo of slos) buckets.add(slo.name, minute, isGood(slo, request));
    },

    flush: () =>
      exclusive(async () => {
        const rows = buckets.drain();
        try {
          await store.add(rows);
        } catch (error) {
          buckets.restore(rows);
          throw error;
        }
        return { rows: rows.length, pruned: await prune(now()) };
      }),

    status: (names) =>
      exclusive(async () => {
        const at = now();
        const chosen = names === undefined ? slos : slos.filter((s) => names.includes(s.name));
        const stored = await store.counts(
          chosen.map((s) => ({ slo: s.name, since: windowStarts(at, s.periodDays).period })),
          burnWindowStarts(at),
        );
        return chosen.map((slo) => {
          const bounds = windowStarts(at, slo.periodDays);
          const counts = addCounts(stored.get(slo.name) ?? emptyCounts(), buckets.counts(slo.name, bounds));
          const { period, ...windows } = counts;
          return {
            ...sloStatus({
              name: slo.name,
              description: slo.description,
              objective: slo.objective,
              periodDays: slo.periodDays,
              period,
              windows,
            }),
            kind: slo.kind,
            thresholdMs: slo.thresholdMs,
            events: period,
            windowEvents: windows,
          };
        });
      }),

    history: (name, window) =>
      exclusive(async () => {
        const slo = slos.find((s) => s.name === name);
        if (slo === undefined) return undefined;
        const plan = historyPlan(now(), window);
        const stored = await store.series(slo.name, plan.from, plan.stepMs);
        return {
          name: slo.name,
          window,
          stepMinutes: plan.stepMs / MINUTE_MS,
          objective: slo.objective,
          alerts: alertWindows(slo.periodDays),
          points: historyPoints(plan, [...stored, ...buckets.minutes(slo.name)], slo.objective),
        };
      }),

    get pendingMinutes() {
      return buckets.size;
    },
  };
}
