// The shapes come from the services' own schemas, never restated here.
import type { Static } from '@sinclair/typebox';
import type { ChaosStatus, AuditEntry as StoredAuditEntry } from '@steadfast/chaos';
import type { ReadinessReport } from '@steadfast/health';
import type {
  IncidentSchema,
  IncidentWithTimelineSchema,
} from '@steadfast/incidents-api/routes/v1/incidents';
import type { SloHistorySchema, SloStatusSchema } from '@steadfast/slo';

export type Incident = Static<typeof IncidentSchema>;
export type IncidentDetail = Static<typeof IncidentWithTimelineSchema>;
export type IncidentStatus = Incident['status'];
export type Severity = Incident['severity'];
export type SloStatus = Static<typeof SloStatusSchema>;
export type SloHistory = Static<typeof SloHistorySchema>;
export type Health = ReadinessReport;
export type Chaos = ChaosStatus;
export type ActiveFault = ChaosStatus['faults'][number];
/** As `/admin/chaos/audit` sends it: the time as ISO text. */
export type AuditEntry = Omit<StoredAuditEntry, 'at'> & { at: string };
export type { ConsoleSettings } from '../settings.js';

import type { IncidentEvent as StoredIncidentEvent } from '@steadfast/incidents-api/events/incident-event';
/** A frame of `/v1/incidents/stream`: the incident as it was right after the change. */
export type IncidentEvent = Omit<StoredIncidentEvent, 'incident'> & { incident: Incident };
