import type { IncidentAlert } from '../alerts/alert-facts.js';
import type { Experiment } from '../experiments/experiment.js';
import type { Incident, TimelineEvent } from './incident.js';

/** Timeline entries a review lists; an incident with more says where the rest are. */
export const POSTMORTEM_TIMELINE_MAX = 200;
/** Characters of one entry's message in the review's table. */
const ENTRY_MAX = 500;

const NOT_YET = '—';
const UNITS: Array<[string, number]> = [
  ['d', 86_400],
  ['h', 3_600],
  ['min', 60],
  ['s', 1],
];

/** `2 h 5 min`, `45 s`, `3 d 4 h`: the two largest units, enough for a review. */
export function formatDuration(seconds: number | null): string {
  if (seconds === null) return NOT_YET;
  let rest = Math.max(0, Math.round(seconds));
  if (rest === 0) return '0 s';
  const parts: string[] = [];
  for (const [unit, size] of UNITS) {
    if (rest >= size && parts.length < 2) {
      parts.push(`${Math.floor(rest / size)} ${unit}`);
      rest %= size;
    } else if (parts.length > 0) {
      break;
    }
  }
  return parts.join(' ');
}

const between = (from: string, to: string | null) =>
  to === null ? null : (Date.parse(to) - Date.parse(from)) / 1000;

const HTML_ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;' };

/**
 * Text a client wrote, as Markdown that renders it literally on one line: HTML's own characters become entities
 * (no raw HTML), the characters of emphasis, code, links, headings and table cells are backslash-escaped, and
 * line breaks become spaces (nothing can start a section of its own).
 */
export function escapeInline(text: string): string {
  return text
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/[&<>]/g, (c) => HTML_ENTITIES[c] as string)
    .replace(/[\\`*_[\]|~#]/g, '\\$&');
}

/** Client text as paragraphs: each line escaped on its own, and nothing at a line's start opens a block. */
const escapeBlock = (text: string) =>
  text
    .split(/\r?\n|\r/)
    .map((line) =>
      escapeInline(line)
        // An ordered-list marker, then a bullet, a setext underline or a rule.
        .replace(/^(\d+)([.)])/, '$1\\$2')
        .replace(/^([-+=])/, '\\$1'),
    )
    .join('\n');

// By code points, so that a cut never splits a surrogate pair.
const excerpt = (text: string) =>
  text.length > ENTRY_MAX ? `${Array.from(text).slice(0, ENTRY_MAX).join('')}…` : text;

export interface Review {
  incident: Incident;
  /** The first entries of the timeline, oldest first (at most POSTMORTEM_TIMELINE_MAX). */
  timeline: TimelineEvent[];
  /** Whether the timeline has more entries than those listed. */
  truncated: boolean;
  /** Its first alerts by when they fired, and whether it has more. */
  alerts: IncidentAlert[];
  alertsTruncated: boolean;
  /** The chaos experiments on its services that ran while it was open. */
  experiments: Experiment[];
}

const SECONDS_PER_DAY = 86_400;

/** A link as Markdown that nothing in it can break out of (a table cell, the link's own brackets). */
const link = (text: string, url: string) => `[${text}](<${url.replace(/[|<> ]/g, encodeURIComponent)}>)`;

const number = (value: number | null, digits = 3) =>
  value === null ? NOT_YET : String(Number(value.toPrecision(digits)));
const percent = (ratio: number | null) => (ratio === null ? NOT_YET : `${number(ratio * 100)} %`);

/** When the fault stopped showing: the last alert's end, once none fires. */
function recoveredAt(alerts: IncidentAlert[]): string | null {
  if (alerts.length === 0 || alerts.some((alert) => alert.status === 'firing' || alert.endsAt === null)) {
    return null;
  }
  return new Date(Math.max(...alerts.map((alert) => Date.parse(alert.endsAt as string)))).toISOString();
}

/**
 * The error budget the incident consumed, as a share of the SLO period's budget: the worst error ratio its alerts
 * reported at firing, over the time they fired, divided by the period's budget ((1 − objective) × period). Null when
 * the alerts carry no error ratio, objective or period (see alerts/alert-facts.ts).
 */
export function budgetConsumed(alerts: IncidentAlert[], now: Date): number | null {
  const known = alerts.filter(
    (alert) => alert.errorRatio !== null && alert.objective !== null && alert.periodDays !== null,
  );
  if (known.length === 0) return null;
  const worst = known.reduce((a, b) => ((b.errorRatio as number) > (a.errorRatio as number) ? b : a));
  const start = Math.min(...alerts.map((alert) => Date.parse(alert.startsAt)));
  const end = Math.max(
    ...alerts.map((alert) => (alert.endsAt === null ? now.getTime() : Date.parse(alert.endsAt))),
  );
  const firedSeconds = Math.max(0, (end - start) / 1000);
  const budgetSeconds = (1 - (worst.objective as number)) * (worst.periodDays as number) * SECONDS_PER_DAY;
  return ((worst.errorRatio as number) * firedSeconds) / budgetSeconds;
}

function alertRow(alert: IncidentAlert): string {
  const windows =
    alert.longWindow || alert.shortWindow
      ? `${alert.longWindow ?? '?'} / ${alert.shortWindow ?? '?'}${alert.defaultWindows ? ' (tier default)' : ''}`
      : NOT_YET;
  return [
    '',
    escapeInline(alert.alertname ?? 'alert'),
    alert.tier ? escapeInline(alert.tier) : NOT_YET,
    escapeInline(windows),
    alert.burnRateThreshold === null ? NOT_YET : `${number(alert.burnRateThreshold)}×`,
    alert.burnRate === null ? NOT_YET : `${number(alert.burnRate)}×`,
    percent(alert.errorRatio),
    alert.startsAt,
    alert.endsAt ?? 'still firing',
    alert.runbookUrl ? link('runbook', alert.runbookUrl) : 'none',
    '',
  ]
    .join(' | ')
    .trim();
}

function experimentLine(experiment: Experiment): string {
  const ended = experiment.endedBy
    ? `ended ${experiment.endedAt ?? ''} (${experiment.endedBy}${
        experiment.stopCondition
          ? `: ${escapeInline(experiment.stopCondition.description)} at ${experiment.stopCondition.value}, threshold ${experiment.stopCondition.threshold}`
          : ''
      })`
    : experiment.endedAt
      ? `due to expire ${experiment.endedAt}`
      : 'no end announced';
  return `- Experiment \`${escapeInline(experiment.experimentId)}\` on ${escapeInline(experiment.service)}: ${escapeInline(
    experiment.description,
  )}; started ${experiment.startedAt ?? 'before what was recorded'}, ${ended}.`;
}

/**
 * A post-incident review in Markdown, filled from the incident: its alerts, the experiments that overlapped it, the
 * budget it consumed and its times; the analysis sections (root cause, action items, lessons) are left to write.
 */
export function renderPostmortem(
  { incident, timeline, truncated, alerts, alertsTruncated, experiments }: Review,
  now: Date = new Date(),
): string {
  const services = incident.services.map((s) => escapeInline(s.name));
  const ongoing = incident.resolvedAt === null;
  const recovered = recoveredAt(alerts);
  const faultStart = experiments
    .map((experiment) => experiment.startedAt)
    .filter((at): at is string => at !== null)
    .sort()[0];
  const firstAlert = alerts[0]?.startsAt ?? null;
  const detectedAfter = faultStart === undefined ? null : between(faultStart, incident.createdAt);
  const consumed = budgetConsumed(alerts, now);
  const runbooks = [
    ...new Set(alerts.map((alert) => alert.runbookUrl).filter((url): url is string => url !== null)),
  ];
  const lines = [
    `# Post-incident review: ${escapeInline(incident.title)}`,
    '',
    `| | |`,
    `| --- | --- |`,
    `| Incident | \`${incident.id}\` |`,
    `| Status | ${incident.status} |`,
    `| Severity | ${incident.severity} (${incident.priority}) |`,
    `| Affected services | ${services.length > 0 ? services.join(', ') : 'none recorded'} |`,
    `| Opened | ${incident.createdAt} |`,
    `| Acknowledged | ${incident.acknowledgedAt ?? 'no one acknowledged it'} |`,
    `| Recovered | ${recovered ?? NOT_YET} |`,
    `| Resolved | ${incident.resolvedAt ?? NOT_YET} |`,
    `| Time to detect | ${formatDuration(detectedAfter)} |`,
    `| Time to acknowledge | ${formatDuration(between(incident.createdAt, incident.acknowledgedAt))} |`,
    `| Time to recover | ${formatDuration(between(incident.createdAt, recovered))} |`,
    `| Time to resolve | ${formatDuration(between(incident.createdAt, incident.resolvedAt))} |`,
    `| Error budget consumed | ${consumed === null ? 'unknown (the alerts carry no error ratio, objective or period)' : `${percent(consumed)} of the period's budget (estimated)`} |`,
    `| Runbooks | ${runbooks.length > 0 ? runbooks.map((url, i) => link(`runbook ${i + 1}`, url)).join(', ') : 'none linked'} |`,
    '',
    '## Summary',
    '',
    incident.description?.trim()
      ? escapeBlock(incident.description.trim())
      : '_No description was recorded._',
    '',
    '## Impact',
    '',
    `A ${incident.severity} (${incident.priority}) incident affecting ${
      services.length > 0 ? services.join(', ') : 'no recorded service'
    }${
      ongoing
        ? ', still unresolved.'
        : `, resolved after ${formatDuration(between(incident.createdAt, incident.resolvedAt))}.`
    }`,
    consumed === null
      ? 'The error budget consumed is unknown: the alerts did not say their error ratio, objective and period.'
      : `It consumed about ${percent(consumed)} of the SLO period's error budget (the worst error ratio at firing, over the time the alerts fired).`,
    '',
    '## Timeline',
    '',
    '| Time (UTC) | Event | Details |',
    '| --- | --- | --- |',
    ...timeline.map(
      (event) => `| ${event.createdAt} | ${event.kind} | ${escapeInline(excerpt(event.message))} |`,
    ),
    '',
    ...(truncated
      ? [
          `_The first ${timeline.length} entries; the whole timeline is at \`GET /v1/incidents/${incident.id}/timeline\`._`,
          '',
        ]
      : []),
    '## Detection',
    '',
    alerts.length === 0
      ? '_No alert fired: the incident was opened by hand._'
      : `The first alert fired at ${firstAlert}; the incident opened at ${incident.createdAt}${
          faultStart === undefined
            ? '.'
            : `, ${formatDuration(detectedAfter)} after the fault began (${faultStart}).`
        }`,
    '',
    ...(alerts.length === 0
      ? []
      : [
          '| Alert | Tier | Windows (long / short) | Burn-rate threshold | Burn rate at firing | Error ratio at firing | Started | Ended | Runbook |',
          '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
          ...alerts.map(alertRow),
          '',
          ...(alertsTruncated ? [`_The first ${alerts.length} alerts; the incident has more._`, ''] : []),
        ]),
    '## Response',
    '',
    incident.acknowledgedAt === null
      ? '_No one acknowledged the incident._'
      : `Acknowledged ${formatDuration(between(incident.createdAt, incident.acknowledgedAt))} after it opened.`,
    recovered === null
      ? '_The alerts have not all recovered._'
      : `The alerts recovered ${formatDuration(between(incident.createdAt, recovered))} after it opened.`,
    '',
    '### Chaos experiments',
    '',
    ...(experiments.length === 0
      ? ['_No chaos experiment ran on the affected services while the incident was open._']
      : experiments.map(experimentLine)),
    '',
    '## Root cause',
    '',
    ...(experiments.length > 0 ? ['_An experiment overlapped the incident: was it the cause?_', ''] : ['']),
    '## Action items',
    '',
    '| Action | Owner | Priority |',
    '| --- | --- | --- |',
    '',
    '## Lessons learned',
    '',
    '',
  ];
  return lines.join('\n');
}
