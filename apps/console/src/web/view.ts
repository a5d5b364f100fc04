// The view logic of the pages, free of Preact and the DOM, so it is unit-tested on its own.
import { TRANSITIONS } from '@steadfast/incidents-api/incidents/status';
import type { ApiError } from './api.js';
import type { Incident, IncidentEvent, IncidentStatus, SloHistory, SloStatus } from './types.js';

export type Tone = 'good' | 'warn' | 'bad' | 'unknown';

/** The budget bar's colour by the budget policy tier: ship as usual, carefully, or not at all. */
export function budgetTone(policy: SloStatus['policy']): Tone {
  if (policy === 'normal') return 'good';
  if (policy === 'cautious') return 'warn';
  return 'bad';
}

/** A service that cannot be asked is down, not blank. */
export function healthTone(status: 'ready' | 'degraded' | 'not_ready' | 'down'): Tone {
  return status === 'ready' ? 'good' : status === 'degraded' ? 'warn' : 'bad';
}

export const HEALTH_LABELS = {
  ready: 'ready',
  degraded: 'degraded',
  not_ready: 'not ready',
  down: 'down',
} as const;

/** 0.9995 → "99.95 %"; the digits a reader can compare at a glance. */
export function percent(ratio: number, digits = 2): string {
  return `${(ratio * 100).toFixed(digits)} %`;
}

/** The bar's width: the remaining budget clamped to 0–100 % (an overspent budget shows empty). */
export function budgetWidth(remainingRatio: number): string {
  return `${Math.round(Math.min(1, Math.max(0, remainingRatio)) * 100)}%`;
}

/** How long ago, coarsely: "45s", "12m", "3h 5m", "2d 4h". */
export function age(fromIso: string, now: number): string {
  const seconds = Math.max(0, Math.floor((now - Date.parse(fromIso)) / 1000));
  return duration(seconds);
}

export function duration(totalSeconds: number): string {
  const s = Math.max(0, Math.round(totalSeconds));
  if (s < 60) return `${s}s`;
  const minutes = Math.floor(s / 60);
  if (minutes < 60) return `${minutes}m ${s % 60}s`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours}h ${minutes % 60}m`;
  return `${Math.floor(hours / 24)}d ${hours % 24}h`;
}

/** The buttons an incident shows: only the moves the service accepts, in lifecycle order. */
export const legalTransitions = (status: IncidentStatus): readonly IncidentStatus[] => TRANSITIONS[status];

/** Burn rate text: "0", "1.2×", "14.4×". */
export const burn = (rate: number): string => (rate === 0 ? '0' : `${Number(rate.toPrecision(3))}×`);

/** What a person reads when a call fails: what happened and what to do, never a bare status code. */
export function failureMessage(error: ApiError, service: string): string {
  switch (error.status) {
    case 0:
    case 502:
    case 503:
      return `${service} is down or cannot be reached. ${error.message}`;
    case 504:
      return `${service} did not answer in time.`;
    case 401:
      return 'This needs your token: type it in the token field at the top and try again.';
    case 403:
      return 'Your token is not allowed to do this.';
    case 412:
      return 'Someone else changed this incident after you opened it. It now shows their version; check it and try again.';
    case 404:
      return 'Not found: it may have been removed.';
    default:
      return error.message;
  }
}

/**
 * The active-incident list after one stream event: a changed incident replaces its old self, a new one goes
 * first, a resolved one leaves.
 */
export function applyIncidentEvent(active: readonly Incident[], event: IncidentEvent): Incident[] {
  const rest = active.filter((incident) => incident.id !== event.incident.id);
  if (event.incident.status === 'resolved') return rest;
  const index = active.findIndex((incident) => incident.id === event.incident.id);
  if (index === -1) return [event.incident, ...rest];
  const next = [...active];
  next[index] = event.incident;
  return next;
}

/**
 * The burn-rate axis is logarithmic, so 1× and 1000× both read; it starts here. A log has no 0, so a smaller rate
 * (a step without errors is 0) is drawn on this floor, and the legend says so.
 */
export const BURN_AXIS_FLOOR = 0.01;

/** A burn rate as the log axis draws it: on the floor when below it, null (a gap) when there was no traffic. */
export const burnOnAxis = (rate: number | null): number | null =>
  rate === null || !Number.isFinite(rate) ? null : Math.max(rate, BURN_AXIS_FLOOR);

/** uPlot's columns: x in seconds, then the SLI in percent and the burn rate, with null for steps without traffic. */
export function historyColumns(history: SloHistory): [number[], (number | null)[], (number | null)[]] {
  return [
    history.points.map((p) => p.at / 1000),
    history.points.map((p) => (p.sli === null ? null : p.sli * 100)),
    history.points.map((p) => burnOnAxis(p.burnRate)),
  ];
}

/**
 * The burn-rate axis, floor to the power of ten above the highest rate and every alert factor (1× at least), so
 * each threshold line is on the chart whatever the data.
 */
export function burnRange(history: SloHistory): [number, number] {
  const highest = Math.max(
    1,
    ...history.alerts.map((a) => a.factor),
    ...history.points.map((p) => burnOnAxis(p.burnRate) ?? 0),
  );
  return [BURN_AXIS_FLOOR, 10 ** Math.ceil(Math.log10(highest * 1.5))];
}

/** The log axis labels its powers of ten only ("0.01×" … "1000×"); the ticks between stay unlabelled. */
export const burnTick = (value: number): string =>
  Math.abs(Math.log10(value) - Math.round(Math.log10(value))) < 1e-9 ? burn(value) : '';

/** The legend's burn rate: what the step measured, "≤ 0.01×" for one drawn on the floor, "—" without traffic. */
export const burnLegend = (value: number | null | undefined): string =>
  value === null || value === undefined
    ? '—'
    : value <= BURN_AXIS_FLOOR
      ? `≤ ${burn(BURN_AXIS_FLOOR)}`
      : burn(value);

/** The horizontal lines drawn on the burn-rate axis: one per alert tier's factor, labelled. */
export function thresholdLines(history: SloHistory): { label: string; value: number; severity: string }[] {
  return history.alerts.map((a) => ({
    label: `${a.tier} ${burn(a.factor)} (${a.longWindow}/${a.shortWindow})`,
    value: a.factor,
    severity: a.severity,
  }));
}

/** What the incident list is filtered by; an empty value filters nothing. */
export interface IncidentFilters {
  status: string;
  severity: string;
  service: string;
}

const FILTER_KEYS = ['status', 'severity', 'service'] as const;

/** The filters a list URL carries (`#/incidents?status=open&service=checkout`), so a filtered list can be shared. */
export function incidentFilters(query: URLSearchParams): IncidentFilters {
  const [status = '', severity = '', service = ''] = FILTER_KEYS.map((key) => query.get(key)?.trim() ?? '');
  return { status, severity, service };
}

/** The list's page address for `filters`; empty ones are left out. */
export function incidentsHash(filters: IncidentFilters): string {
  const params = new URLSearchParams();
  for (const key of FILTER_KEYS) if (filters[key]) params.set(key, filters[key]);
  const query = params.toString();
  return query ? `#/incidents?${query}` : '#/incidents';
}

/** The incident list's query string from its filters; empty filters are left out. */
export function incidentQuery(filters: Partial<IncidentFilters> & { cursor?: string }, limit = 20): string {
  const params = new URLSearchParams({ limit: String(limit) });
  for (const [key, value] of Object.entries(filters)) if (value) params.set(key, value);
  return params.toString();
}
