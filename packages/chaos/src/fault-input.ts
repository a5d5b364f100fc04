import { randomUUID } from 'node:crypto';
import { type FieldError, ValidationError } from '@steadfast/errors';
import type { Fault } from './fault.js';
import type { CreateFaultBody } from './schemas.js';
import { type BurnRateSource, stopWhenProblems } from './stop-condition.js';

export interface FaultRules {
  defaultDurationSeconds: number;
  maxDurationSeconds: number;
  headerTargeting: boolean;
  /** What `stopWhen` is checked against; absent = faults cannot declare one. */
  burnRates?: BurnRateSource | undefined;
}

/** The checks a schema cannot express: how fields combine, and the limits set by the plugin's options. */
export function faultProblems(body: CreateFaultBody, rules: FaultRules): FieldError[] {
  const problems: FieldError[] = [];
  const problem = (field: string, message: string) => problems.push({ field: `body.${field}`, message });
  const duration = body.durationSeconds ?? rules.defaultDurationSeconds;
  const { target } = body;

  if (duration > rules.maxDurationSeconds) {
    problem('durationSeconds', `must be at most ${rules.maxDurationSeconds} (maxDurationSeconds)`);
  }
  if (target.dependency !== undefined) {
    if (target.route !== undefined || target.method !== undefined || target.header !== undefined) {
      problem('target', 'a dependency fault cannot also target a route, method or header');
    }
    if (body.kind === 'abort') problem('kind', 'abort applies to HTTP requests only, not dependencies');
  }
  if (target.header === true && !rules.headerTargeting) {
    problem('target.header', 'header targeting is disabled (headerTargeting option)');
  }
  if (body.kind === 'latency') {
    if (body.latencyMs === undefined) problem('latencyMs', 'is required for a latency fault');
  } else {
    if (body.latencyMs !== undefined) problem('latencyMs', 'applies to latency faults only');
    if (body.jitterMs !== undefined) problem('jitterMs', 'applies to latency faults only');
  }
  if (body.status !== undefined && body.kind !== 'error') problem('status', 'applies to error faults only');

  let previous = 0;
  (body.ramp ?? []).forEach((step, i) => {
    if (step.afterSeconds <= previous) {
      problem(`ramp.${i}.afterSeconds`, 'must be greater than the previous step’s');
    } else if (step.afterSeconds >= duration) {
      problem(`ramp.${i}.afterSeconds`, `must be less than the fault’s duration (${duration} s)`);
    }
    previous = Math.max(previous, step.afterSeconds);
    if (step.latencyMs !== undefined && body.kind !== 'latency') {
      problem(`ramp.${i}.latencyMs`, 'applies to latency faults only');
    }
    if (step.probability === undefined && step.latencyMs === undefined) {
      problem(`ramp.${i}`, 'must change probability or latencyMs');
    }
  });
  if (body.stopWhen !== undefined) {
    problems.push(...stopWhenProblems(body.stopWhen, rules.burnRates, 'body.stopWhen'));
  }
  return problems;
}

/** A new fault from a request body, or a 400 naming every bad field. */
export function buildFault(
  body: CreateFaultBody,
  rules: FaultRules,
  context: { actor: string; origin: Fault['origin']; now: number },
): Fault {
  const problems = faultProblems(body, rules);
  if (problems.length > 0) {
    const summary = problems.map((p) => `${p.field} ${p.message}`).join('; ');
    throw new ValidationError(`Invalid fault: ${summary}`, problems);
  }
  const durationSeconds = body.durationSeconds ?? rules.defaultDurationSeconds;
  const target: Fault['target'] = { ...body.target };
  if (target.header !== true) delete target.header;
  return {
    id: randomUUID(),
    kind: body.kind,
    target,
    probability: body.probability,
    ...(body.latencyMs === undefined ? {} : { latencyMs: body.latencyMs }),
    ...(body.jitterMs === undefined ? {} : { jitterMs: body.jitterMs }),
    ...(body.status === undefined ? {} : { status: body.status }),
    durationSeconds,
    ramp: body.ramp ?? [],
    createdAt: new Date(context.now),
    expiresAt: new Date(context.now + durationSeconds * 1000),
    createdBy: context.actor,
    origin: context.origin,
    ...(body.stopWhen === undefined ? {} : { stopWhen: body.stopWhen }),
  };
}
