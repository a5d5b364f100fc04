import { InvalidStateError } from '@steadfast/errors';
import type { IncidentStatus, Severity } from '../db/schema.js';

/** The lifecycle in the order the API documents it. */
export const STATUSES: readonly IncidentStatus[] = [
  'open',
  'investigating',
  'identified',
  'monitoring',
  'resolved',
];

/** Where each status may go: forward any number of steps; once resolved, only back to investigating. */
export const TRANSITIONS: Readonly<Record<IncidentStatus, readonly IncidentStatus[]>> = {
  open: ['investigating', 'identified', 'monitoring', 'resolved'],
  investigating: ['identified', 'monitoring', 'resolved'],
  identified: ['monitoring', 'resolved'],
  monitoring: ['resolved'],
  resolved: ['investigating'],
};

/**
 * Edges only automation takes, on top of TRANSITIONS: a new paging alert on an incident that was `monitoring`
 * (because its alerts had resolved) means the fault is back, so the intake re-opens it to `investigating`. A person
 * who wants the same writes it down instead (monitoring → resolved, then reopen), as the console offers.
 */
export const AUTOMATION_TRANSITIONS: Readonly<Partial<Record<IncidentStatus, readonly IncidentStatus[]>>> = {
  monitoring: ['investigating'],
};

/** Who moves an incident: a person (the API) or the service itself (alert intake, the quiet period). */
export type Actor = 'person' | 'automation';

export const canTransition = (from: IncidentStatus, to: IncidentStatus, by: Actor = 'person'): boolean =>
  TRANSITIONS[from].includes(to) ||
  (by === 'automation' && (AUTOMATION_TRANSITIONS[from] ?? []).includes(to));

export function assertTransition(from: IncidentStatus, to: IncidentStatus, by: Actor = 'person'): void {
  if (!canTransition(from, to, by)) {
    throw new InvalidStateError(`An incident cannot move from ${from} to ${to}`, 'INVALID_STATE_TRANSITION', {
      details: { from, to },
    });
  }
}

export interface StatusStamps {
  /** Entering resolved: stamp resolvedAt. */
  resolves: boolean;
  /** Leaving resolved: clear resolvedAt. */
  reopens: boolean;
}

/**
 * What a transition stamps: resolving resolves, reopening clears the resolution. No transition acknowledges:
 * acknowledging is a person's own action (POST /v1/incidents/:id/acknowledge), so that time to acknowledge counts
 * people only and never an alert resolving or a status someone set in passing.
 */
export function stampsFor(current: { status: IncidentStatus }, to: IncidentStatus): StatusStamps {
  return { resolves: to === 'resolved', reopens: current.status === 'resolved' && to !== 'resolved' };
}

/** Most severe first. */
export const SEVERITIES: readonly Severity[] = ['critical', 'high', 'medium', 'low'];

export type Priority = 'P1' | 'P2' | 'P3' | 'P4';

export const PRIORITIES: Readonly<Record<Severity, Priority>> = {
  critical: 'P1',
  high: 'P2',
  medium: 'P3',
  low: 'P4',
};

/** The more severe of two severities. */
export const worse = (a: Severity, b: Severity): Severity =>
  SEVERITIES.indexOf(a) <= SEVERITIES.indexOf(b) ? a : b;
