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

export const canTransition = (from: IncidentStatus, to: IncidentStatus): boolean =>
  TRANSITIONS[from].includes(to);

export function assertTransition(from: IncidentStatus, to: IncidentStatus): void {
  if (!canTransition(from, to)) {
    throw new InvalidStateError(`An incident cannot move from ${from} to ${to}`, 'INVALID_STATE_TRANSITION', {
      details: { from, to },
    });
  }
}

export interface StatusStamps {
  /** A person moving it out of open for the first time: stamp acknowledgedAt (automation never acknowledges). */
  acknowledges: boolean;
  /** Entering resolved: stamp resolvedAt. */
  resolves: boolean;
  /** Leaving resolved: clear resolvedAt. */
  reopens: boolean;
}

/**
 * What a transition stamps: a person leaving open acknowledges (alert intake moving an incident to monitoring
 * because its alerts resolved is no one acknowledging it, and must not count toward time to acknowledge),
 * resolving resolves, reopening clears the resolution.
 */
export function stampsFor(
  current: { status: IncidentStatus; acknowledged_at: Date | null },
  to: IncidentStatus,
  byPerson: boolean,
): StatusStamps {
  return {
    acknowledges: byPerson && current.acknowledged_at === null && to !== 'open',
    resolves: to === 'resolved',
    reopens: current.status === 'resolved',
  };
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
