import { InvalidStateError } from '@steadfast/errors';
import type { IncidentStatus, Severity } from '../db/schema.js';

/** The lifecycle in order: an incident may step forward any number of places, or reopen once resolved. */
export const STATUSES: readonly IncidentStatus[] = [
  'open',
  'investigating',
  'identified',
  'monitoring',
  'resolved',
];
export const SEVERITIES: readonly Severity[] = ['critical', 'high', 'medium', 'low'];

export type Priority = 'P1' | 'P2' | 'P3' | 'P4';

export const priorityOf = (severity: Severity): Priority =>
  `P${SEVERITIES.indexOf(severity) + 1}` as Priority;

/** The more severe of two severities. */
export const worse = (a: Severity, b: Severity): Severity =>
  SEVERITIES.indexOf(a) <= SEVERITIES.indexOf(b) ? a : b;

export function canTransition(from: IncidentStatus, to: IncidentStatus): boolean {
  if (from === 'resolved') return to === 'investigating';
  return STATUSES.indexOf(to) > STATUSES.indexOf(from);
}

export function assertTransition(from: IncidentStatus, to: IncidentStatus): void {
  if (!canTransition(from, to)) {
    throw new InvalidStateError(`An incident cannot move from ${from} to ${to}`, 'INVALID_STATE_TRANSITION', {
      details: { from, to },
    });
  }
}

export interface StatusStamps {
  /** Leaving open for the first time: stamp acknowledgedAt. */
  acknowledges: boolean;
  /** Entering resolved: stamp resolvedAt. */
  resolves: boolean;
  /** Leaving resolved: clear resolvedAt. */
  reopens: boolean;
}

/** What a transition stamps: leaving open acknowledges, resolving resolves, reopening clears the resolution. */
export function stampsFor(
  current: { status: IncidentStatus; acknowledged_at: Date | null },
  to: IncidentStatus,
): StatusStamps {
  return {
    acknowledges: current.acknowledged_at === null && to !== 'open',
    resolves: to === 'resolved',
    reopens: current.status === 'resolved',
  };
}
