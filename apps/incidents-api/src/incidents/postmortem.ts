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
}

/** A post-incident review in Markdown, filled from the incident; the analysis sections are left to write. */
export function renderPostmortem({ incident, timeline, truncated }: Review): string {
  const services = incident.services.map((s) => escapeInline(s.name));
  const ongoing = incident.resolvedAt === null;
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
    `| Acknowledged | ${incident.acknowledgedAt ?? NOT_YET} |`,
    `| Resolved | ${incident.resolvedAt ?? NOT_YET} |`,
    `| Time to acknowledge | ${formatDuration(between(incident.createdAt, incident.acknowledgedAt))} |`,
    `| Time to resolve | ${formatDuration(between(incident.createdAt, incident.resolvedAt))} |`,
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
