import type { FieldError } from '@steadfast/errors';
import type { FastifyBaseLogger } from 'fastify';
import type { Fault } from './fault.js';

/**
 * When an experiment must end: the SLO burns its error budget at `burnRate`x or more over both windows, once the
 * short window holds at least `minEvents` events (a handful of requests says nothing about a burn rate).
 */
export interface StopWhen {
  slo: string;
  burnRate: number;
  longWindow: string;
  shortWindow: string;
  minEvents: number;
}

/** One SLO's figures now: the burn rate and the number of events of each window. */
export interface SloFigures {
  burnRates: Readonly<Record<string, number>>;
  events: Readonly<Record<string, number>>;
}

/** The live SLOs a stop condition is checked against (the service kit reads them from the SLO plugin). */
export interface BurnRateSource {
  readonly slos: readonly string[];
  /** The windows it has burn rates for, shortest first. */
  readonly windows: readonly string[];
  /** Undefined for an SLO it does not know. */
  read(slo: string): Promise<SloFigures | undefined>;
}

/** What ended a fault, as its status, the audit and the announcement say it. */
export interface StopVerdict {
  stop: boolean;
  description: string;
  /** The lower of the two windows' burn rates (both must reach the threshold); null when it could not be read. */
  value: number | null;
  threshold: number;
}

/** What a fault's status, its audit row and its announcement keep of the verdict that ended it. */
export type StopRecord = Pick<StopVerdict, 'description' | 'value' | 'threshold'>;

export const DEFAULT_STOP_CHECK_INTERVAL_MS = 5000;

export const describeStopWhen = (c: StopWhen): string =>
  `SLO ${c.slo} burns its error budget at ${c.burnRate}x or more over ${c.longWindow} and ${c.shortWindow} (at least ${c.minEvents} events in ${c.shortWindow})`;

/** The checks a schema cannot express: the SLO and the windows must exist, the long window be the longer. */
export function stopWhenProblems(
  condition: StopWhen,
  source: BurnRateSource | undefined,
  field: string,
): FieldError[] {
  if (source === undefined) {
    return [{ field, message: 'stop conditions need the service’s live SLOs, which are not enabled' }];
  }
  const problems: FieldError[] = [];
  if (!source.slos.includes(condition.slo)) {
    problems.push({ field: `${field}.slo`, message: `must be one of ${source.slos.join(', ')}` });
  }
  const short = source.windows.indexOf(condition.shortWindow);
  const long = source.windows.indexOf(condition.longWindow);
  for (const [name, index] of [
    ['shortWindow', short],
    ['longWindow', long],
  ] as const) {
    if (index < 0)
      problems.push({ field: `${field}.${name}`, message: `must be one of ${source.windows.join(', ')}` });
  }
  if (short >= 0 && long >= 0 && long <= short) {
    problems.push({ field: `${field}.longWindow`, message: 'must be longer than shortWindow' });
  }
  return problems;
}

/** Asks `source` whether `condition` is met now. A condition that cannot be read is met: the experiment runs blind. */
export async function checkStopWhen(condition: StopWhen, source: BurnRateSource): Promise<StopVerdict> {
  const description = describeStopWhen(condition);
  const threshold = condition.burnRate;
  try {
    const figures = await source.read(condition.slo);
    if (figures === undefined) throw new Error(`no SLO ${condition.slo}`);
    const short = figures.burnRates[condition.shortWindow];
    const long = figures.burnRates[condition.longWindow];
    if (short === undefined || long === undefined) throw new Error('no burn rate for its windows');
    const value = Math.min(short, long);
    const enough = (figures.events[condition.shortWindow] ?? 0) >= condition.minEvents;
    return { stop: enough && value >= threshold, description, value, threshold };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return {
      stop: true,
      description: `${description}: could not be checked (${message})`,
      value: null,
      threshold,
    };
  }
}

export interface StopWatch {
  source: BurnRateSource;
  /** The faults not yet ended or expired. */
  activeFaults(): readonly Fault[];
  /** The service-wide condition of faults that declare none; undefined when there is none. */
  defaultStopWhen(): StopWhen | undefined;
  /** Ends these faults because of `verdict`. */
  stop(faultIds: readonly string[], condition: StopWhen, verdict: StopVerdict): Promise<void>;
  intervalMs: number;
  log: FastifyBaseLogger;
}

/**
 * Every `intervalMs`, checks each active fault's condition (its own `stopWhen`, else the service-wide default;
 * faults with neither run until they expire) and ends the faults whose condition is met. Each distinct condition
 * is read once per tick. Returns the disposer.
 */
export function watchStopConditions(watch: StopWatch): () => void {
  let checking = false;
  const tick = async () => {
    if (checking) return;
    checking = true;
    try {
      const fallback = watch.defaultStopWhen();
      const byCondition = new Map<string, { condition: StopWhen; ids: string[] }>();
      for (const fault of watch.activeFaults()) {
        const condition = fault.stopWhen ?? fallback;
        if (condition === undefined) continue;
        const key = JSON.stringify(condition);
        const entry = byCondition.get(key) ?? { condition, ids: [] };
        entry.ids.push(fault.id);
        byCondition.set(key, entry);
      }
      for (const { condition, ids } of byCondition.values()) {
        const verdict = await checkStopWhen(condition, watch.source);
        if (!verdict.stop) continue;
        watch.log.warn(
          { faultIds: ids, stopCondition: verdict },
          'chaos: stop condition met; ending its faults',
        );
        await watch.stop(ids, condition, verdict);
      }
    } catch (error) {
      watch.log.error({ err: error }, 'chaos: could not end the faults after their stop condition');
    } finally {
      checking = false;
    }
  };
  const timer = setInterval(() => void tick(), watch.intervalMs).unref();
  return () => clearInterval(timer);
}
