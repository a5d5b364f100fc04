import { currentStep, type Fault, isExpired } from './fault.js';
import { type RequestFacts, targetsDependency, targetsRequest } from './targeting.js';

/** A source of uniform numbers in [0, 1); `Math.random` in production, seeded in tests. */
export type Random = () => number;

export interface Delay {
  fault: Fault;
  ms: number;
}

export type Failure = { fault: Fault; kind: 'error'; status: number } | { fault: Fault; kind: 'abort' };

/** What to do to one call: wait each delay in turn, then fail (or not). */
export interface Decision {
  delays: Delay[];
  failure?: Failure;
}

export const DEFAULT_HTTP_ERROR_STATUS = 500;
export const DEFAULT_DEPENDENCY_ERROR_STATUS = 503;

const NOTHING: Decision = Object.freeze({ delays: [] }) as Decision;

/**
 * Rolls every matching fault once. All latency faults that hit add up; the first error that hits wins over
 * an abort, matching the order the plugin applies them in (latency, then errors, then aborts).
 */
function decide(
  faults: readonly Fault[],
  matches: (fault: Fault) => boolean,
  defaultStatus: number,
  now: number,
  random: Random,
): Decision {
  let decision: Decision = NOTHING;
  let abort: Failure | undefined;
  for (const fault of faults) {
    if (isExpired(fault, now) || !matches(fault)) continue;
    const step = currentStep(fault, now);
    if (!(random() < step.probability)) continue;
    if (decision === NOTHING) decision = { delays: [] };
    if (fault.kind === 'latency') {
      const jitter = fault.jitterMs ? random() * fault.jitterMs : 0;
      decision.delays.push({ fault, ms: Math.round((step.latencyMs ?? 0) + jitter) });
    } else if (fault.kind === 'error') {
      decision.failure ??= { fault, kind: 'error', status: fault.status ?? defaultStatus };
    } else {
      abort ??= { fault, kind: 'abort' };
    }
  }
  if (decision.failure === undefined && abort !== undefined) decision.failure = abort;
  return decision;
}

/** The faults to apply to one incoming request. */
export function decideRequest(
  faults: readonly Fault[],
  request: RequestFacts,
  now: number,
  random: Random,
): Decision {
  return decide(faults, (fault) => targetsRequest(fault, request), DEFAULT_HTTP_ERROR_STATUS, now, random);
}

/** The faults to apply to one call to a dependency. Aborts are HTTP-only and never match here. */
export function decideDependencyCall(
  faults: readonly Fault[],
  dependency: string,
  now: number,
  random: Random,
): Decision {
  return decide(
    faults,
    (fault) => fault.kind !== 'abort' && targetsDependency(fault, dependency),
    DEFAULT_DEPENDENCY_ERROR_STATUS,
    now,
    random,
  );
}
