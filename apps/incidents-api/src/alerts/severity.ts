import type { Severity } from '../db/schema.js';

/** What an alert's `severity` label is taken to mean when it says nothing this service recognises. */
export const DEFAULT_ALERT_SEVERITY: Severity = 'high';

// A Map, not an object literal: a label such as `constructor` or `__proto__` must find nothing, not a prototype's
// member.
const LABELS = new Map<string, Severity>([
  ['critical', 'critical'],
  ['crit', 'critical'],
  ['emergency', 'critical'],
  ['fatal', 'critical'],
  ['page', 'critical'],
  ['p1', 'critical'],
  ['sev1', 'critical'],
  ['high', 'high'],
  ['error', 'high'],
  ['major', 'high'],
  ['p2', 'high'],
  ['sev2', 'high'],
  ['medium', 'medium'],
  ['warning', 'medium'],
  ['warn', 'medium'],
  ['moderate', 'medium'],
  ['ticket', 'medium'],
  ['p3', 'medium'],
  ['sev3', 'medium'],
  ['low', 'low'],
  ['info', 'low'],
  ['informational', 'low'],
  ['minor', 'low'],
  ['none', 'low'],
  ['p4', 'low'],
  ['sev4', 'low'],
]);

/** Maps Prometheus' conventional severity labels (critical, warning, info, …) onto the incident scale. */
export const severityFromLabel = (label: string | undefined): Severity =>
  (label === undefined ? undefined : LABELS.get(label.trim().toLowerCase())) ?? DEFAULT_ALERT_SEVERITY;

/** An alert's severity: its `severity` label, else its SLO tier's `sloth_severity` (page or ticket). */
export const severityOfAlert = (labels: {
  severity?: string | undefined;
  sloth_severity?: string | undefined;
}): Severity => severityFromLabel(labels.severity ?? labels.sloth_severity);
