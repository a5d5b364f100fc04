import type { IncidentWithTimeline } from './incident.js';

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

/** Table cells hold one line and no unescaped pipes. */
const cell = (text: string) => text.replaceAll('|', '\\|').replace(/\s*\n\s*/g, ' ');

/** A post-incident review in Markdown, filled from the incident; the analysis sections are left to write. */
export function renderPostmortem(incident: IncidentWithTimeline): string {
  const services = incident.services.map((s) => s.name);
  const ongoing = incident.resolvedAt === null;
  const lines = [
    `# Post-incident review: ${incident.title}`,
    '',
    `| | |`,
    `| --- | --- |`,
    `| Incident | \`${incident.id}\` |`,
    `| Status | ${incident.status} |`,
    `| Severity | ${incident.severity} (${incident.priority}) |`,
    `| Affected services | ${services.length > 0 ? cell(services.join(', ')) : 'none recorded'} |`,
    `| Opened | ${incident.createdAt} |`,
    `| Acknowledged | ${incident.acknowledgedAt ?? NOT_YET} |`,
    `| Resolved | ${incident.resolvedAt ?? NOT_YET} |`,
    `| Time to acknowledge | ${formatDuration(between(incident.createdAt, incident.acknowledgedAt))} |`,
    `| Time to resolve | ${formatDuration(between(incident.createdAt, incident.resolvedAt))} |`,
    '',
    '## Summary',
    '',
    incident.description?.trim() || '_No description was recorded._',
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
    '',
    '## Timeline',
    '',
    '| Time (UTC) | Event | Details |',
    '| --- | --- | --- |',
    ...incident.timeline.map((event) => `| ${event.createdAt} | ${event.kind} | ${cell(event.message)} |`),
    '',
    '## Root cause',
    '',
    '',
    '## Contributing factors',
    '',
    '',
    '## Action items',
    '',
    '| Action | Owner | Due |',
    '| --- | --- | --- |',
    '',
  ];
  return lines.join('\n');
}
