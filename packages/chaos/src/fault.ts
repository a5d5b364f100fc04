import type { StopWhen } from './stop-condition.js';

/** What a fault does: delay the call, fail it, or (HTTP only) drop the connection. */
export type FaultKind = 'latency' | 'error' | 'abort';

/** Why a fault stopped applying, as recorded in the audit. */
export type EndReason = 'expired' | 'removed' | 'killed' | 'stopped by condition' | 'replaced';

/**
 * Which calls a fault hits. With `dependency` it is a dependency fault, applied by `beforeDependencyCall`;
 * without, an HTTP fault applied to incoming requests matching `route` and `method` (absent = any).
 */
export interface FaultTarget {
  /** A Fastify route template (`/v1/users/:id`) or a glob where `*` matches anything (`/v1/users*`). */
  route?: string;
  method?: string;
  /** A resilience policy name (`database`), or a glob. */
  dependency?: string;
  /** Only requests carrying `x-chaos-fault: <this fault's id>` (needs the `headerTargeting` option). */
  header?: boolean;
}

/** From `afterSeconds` after creation, the fault runs with these values instead of its own. */
export interface RampStep {
  afterSeconds: number;
  probability?: number;
  latencyMs?: number;
}

export interface Fault {
  id: string;
  kind: FaultKind;
  target: FaultTarget;
  probability: number;
  latencyMs?: number;
  jitterMs?: number;
  status?: number;
  durationSeconds: number;
  ramp: RampStep[];
  createdAt: Date;
  expiresAt: Date;
  createdBy: string;
  /** `api` for faults created as resources, `quick` for the ones the granular endpoints keep. */
  origin: 'api' | 'quick';
  /** Ends the fault early when met; without it the service-wide default applies, if one is set. */
  stopWhen?: StopWhen;
}

/** The values a fault runs with right now; `index` 0 is the fault's own values, `n` the n-th ramp step. */
export interface FaultStep {
  index: number;
  probability: number;
  latencyMs?: number;
}

/** The ramp step in force `now` (ramp steps are sorted by `afterSeconds`). */
export function currentStep(fault: Fault, now: number): FaultStep {
  const elapsedSeconds = (now - fault.createdAt.getTime()) / 1000;
  let step: FaultStep = { index: 0, probability: fault.probability, latencyMs: fault.latencyMs };
  fault.ramp.forEach((ramp, i) => {
    if (ramp.afterSeconds <= elapsedSeconds) {
      step = {
        index: i + 1,
        probability: ramp.probability ?? step.probability,
        latencyMs: ramp.latencyMs ?? step.latencyMs,
      };
    }
  });
  return step;
}

export function isExpired(fault: Fault, now: number): boolean {
  return fault.expiresAt.getTime() <= now;
}

export function isDependencyFault(fault: Fault): boolean {
  return fault.target.dependency !== undefined;
}

/** How a fault's target reads in logs and metric labels: `GET /v1/users/:id`, `* *`, `dependency database`. */
export function describeTarget(target: FaultTarget): string {
  if (target.dependency !== undefined) return `dependency ${target.dependency}`;
  return `${target.method ?? '*'} ${target.route ?? '*'}`;
}

const percent = (probability: number) => `${Number((probability * 100).toPrecision(4))} %`;

/** What a fault does, for people: `50 % errors on /v1/users*`, `200 ms latency on dependency database`. */
export function describeFault(fault: Fault): string {
  const { target } = fault;
  const where =
    target.dependency !== undefined
      ? `dependency ${target.dependency}`
      : `${target.method === undefined ? '' : `${target.method} `}${target.route ?? 'every route'}`;
  const share = fault.probability === 1 ? '' : ` on ${percent(fault.probability)} of calls`;
  if (fault.kind === 'latency') return `${fault.latencyMs} ms latency on ${where}${share}`;
  const what = fault.kind === 'error' ? 'errors' : 'aborted connections';
  return `${percent(fault.probability)} ${what} on ${where}`;
}

/** A fault as the API and the audit show it. */
export function faultJson(fault: Fault) {
  return {
    id: fault.id,
    kind: fault.kind,
    target: fault.target,
    probability: fault.probability,
    ...(fault.latencyMs === undefined ? {} : { latencyMs: fault.latencyMs }),
    ...(fault.jitterMs === undefined ? {} : { jitterMs: fault.jitterMs }),
    ...(fault.status === undefined ? {} : { status: fault.status }),
    durationSeconds: fault.durationSeconds,
    ramp: fault.ramp,
    origin: fault.origin,
    createdBy: fault.createdBy,
    createdAt: fault.createdAt.toISOString(),
    expiresAt: fault.expiresAt.toISOString(),
    ...(fault.stopWhen === undefined ? {} : { stopWhen: fault.stopWhen }),
  };
}
