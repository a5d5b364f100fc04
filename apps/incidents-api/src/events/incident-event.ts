import type { IncidentEventRow, IncidentEventType } from '../db/schema.js';

/** A stored change to an incident, as the stream sends it; `id` orders events and resumes streams. */
export interface IncidentEvent {
  id: number;
  type: IncidentEventType;
  incidentId: string;
  createdAt: string;
  /** The incident as it was right after the change. */
  incident: unknown;
}

export const toIncidentEvent = (row: IncidentEventRow): IncidentEvent => ({
  id: row.id,
  type: row.type,
  incidentId: row.incident_id,
  createdAt: row.created_at.toISOString(),
  incident: row.payload,
});
