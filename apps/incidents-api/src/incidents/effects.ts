import type { IncidentEventType } from '../db/schema.js';
import type { IncidentEvent } from '../events/incident-event.js';

/** What a transaction did that the world hears about only once it commits: events and timings. */
export interface Effects {
  /** Each incident the transaction changed, with the event it gets. */
  changed: Map<string, IncidentEventType>;
  /** The stored events, filled in at the end of the transaction. */
  events: IncidentEvent[];
  /** Seconds from creation to acknowledgement, one per incident acknowledged. */
  acknowledgedAfter: number[];
  /** Seconds from creation to resolution, one per incident resolved. */
  resolvedAfter: number[];
}

export const newEffects = (): Effects => ({
  changed: new Map(),
  events: [],
  acknowledgedAfter: [],
  resolvedAfter: [],
});

// One event per incident per transaction: its creation or resolution says more than an update.
const PRECEDENCE: IncidentEventType[] = ['incident.created', 'incident.resolved', 'incident.updated'];

export function markChanged(effects: Effects, incidentId: string, type: IncidentEventType): void {
  const earlier = effects.changed.get(incidentId);
  if (earlier === undefined || PRECEDENCE.indexOf(type) < PRECEDENCE.indexOf(earlier)) {
    effects.changed.set(incidentId, type);
  }
}

/** Publishes committed effects (to the stream and the metrics); never throws into the request. */
export type Publish = (effects: Effects) => void;
