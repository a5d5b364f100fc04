import { DEFAULT_ALERT_WINDOWS, errorBudgetRatio, objectiveFromPercent } from '@steadfast/slo';

/**
 * What one alert says about the fault, read from its labels and annotations. The generated SLO rules label every
 * alert with `sloth_service`, `sloth_slo`, `sloth_severity` (page | ticket) and `sloth_tier`; the rest is read
 * from these annotations (or labels) when the rules carry them:
 *
 * | name                  | example          | fallback when absent                                  |
 * | --------------------- | ---------------- | ----------------------------------------------------- |
 * | `long_window`         | `1h`             | the tier's window in the SRE workbook's table        |
 * | `short_window`        | `5m`             | the same                                              |
 * | `burn_rate_threshold` | `14.4`           | unknown                                               |
 * | `short_window_error_ratio` (or `error_ratio`) | `1.2%`, `0.012` | unknown (so is the burn rate at firing) |
 * | `objective`           | `99.9%`, `99.9`  | unknown (so is the budget consumed)                   |
 * | `period_days`         | `30`             | unknown (so is the budget consumed)                   |
 * | `runbook_url`         | `https://…`, `deploy/runbooks/x.md#y` | none                             |
 *
 * The generated rules (`steadfast-slo generate --window-annotations`) write exactly these names; a ratio or an
 * objective may carry a `%` (Prometheus' `humanizePercentage`). A runbook is a web link, or a path inside the
 * repository as the shipped rules write it (kept as text: the incident cannot know where the repository is served).
 */
export interface AlertFacts {
  tier: string | null;
  /** `page` or `ticket` for SLO alerts; null for others. */
  sloSeverity: string | null;
  longWindow: string | null;
  shortWindow: string | null;
  /** Whether the windows came from the default table rather than the alert itself. */
  defaultWindows: boolean;
  burnRateThreshold: number | null;
  /** The error ratio when the alert fired (the short window's, the left side of the rule's `and`). */
  errorRatio: number | null;
  /** errorRatio / (1 − objective). */
  burnRate: number | null;
  /** The objective as a ratio (0.999). */
  objective: number | null;
  periodDays: number | null;
  runbookUrl: string | null;
}

type Strings = Record<string, string>;

const pick = (labels: Strings, annotations: Strings, name: string) => {
  const value = (annotations[name] ?? labels[name])?.trim();
  return value ? value : null;
};

function finite(text: string | null, { min = 0, max = Number.POSITIVE_INFINITY } = {}): number | null {
  if (text === null) return null;
  const value = Number(text);
  return Number.isFinite(value) && value >= min && value <= max ? value : null;
}

/** `1.2%` → 0.012, `0.012` → 0.012. */
function ratio(text: string | null): number | null {
  if (text?.endsWith('%')) {
    const percent = finite(text.slice(0, -1).trim(), { max: 100 });
    return percent === null ? null : percent / 100;
  }
  return finite(text, { max: 1 });
}

function objectiveOf(text: string | null): number | null {
  const percent = finite(text?.endsWith('%') ? text.slice(0, -1).trim() : text, {
    min: Number.MIN_VALUE,
    max: 100,
  });
  return percent === null || percent >= 100 ? null : objectiveFromPercent(percent);
}

const REPOSITORY_PATH = /^[\w-]+(\/[\w.-]+)*\.md(#[\w-]+)?$/;

/** Only web links and plain repository paths: a `javascript:` runbook must not become a clickable one. */
function linkOf(text: string | null): string | null {
  if (text === null) return null;
  if (REPOSITORY_PATH.test(text) && !text.includes('..')) return text;
  try {
    const url = new URL(text);
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.href : null;
  } catch {
    return null;
  }
}

export function alertFacts(labels: Strings, annotations: Strings): AlertFacts {
  const tier = labels.sloth_tier?.trim() || null;
  const standard = DEFAULT_ALERT_WINDOWS.find((definition) => definition.tier === tier);
  const longWindow = pick(labels, annotations, 'long_window');
  const shortWindow = pick(labels, annotations, 'short_window');
  const defaultWindows = longWindow === null && shortWindow === null && standard !== undefined;
  const errorRatio = ratio(
    pick(labels, annotations, 'short_window_error_ratio') ?? pick(labels, annotations, 'error_ratio'),
  );
  const objective = objectiveOf(pick(labels, annotations, 'objective'));
  return {
    tier,
    sloSeverity: labels.sloth_severity?.trim() || null,
    longWindow: longWindow ?? (defaultWindows ? standard.longWindow : null),
    shortWindow: shortWindow ?? (defaultWindows ? standard.shortWindow : null),
    defaultWindows,
    burnRateThreshold: finite(pick(labels, annotations, 'burn_rate_threshold')),
    errorRatio,
    burnRate: errorRatio !== null && objective !== null ? errorRatio / errorBudgetRatio(objective) : null,
    objective,
    periodDays: finite(pick(labels, annotations, 'period_days'), { min: Number.MIN_VALUE }),
    runbookUrl: linkOf(pick(labels, annotations, 'runbook_url')),
  };
}

/** A ticket-tier SLO alert; everything else (pages, and alerts that are not from an SLO) pages. */
export const pages = (labels: Strings) => labels.sloth_severity?.trim() !== 'ticket';

/** One alert of an incident, as the incident page and the postmortem show it. */
export interface IncidentAlert extends AlertFacts {
  fingerprint: string;
  alertname: string | null;
  status: 'firing' | 'resolved';
  summary: string | null;
  startsAt: string;
  endsAt: string | null;
}

export function toIncidentAlert(row: {
  fingerprint: string;
  alertname: string | null;
  status: 'firing' | 'resolved';
  labels: Strings;
  annotations: Strings;
  starts_at: Date | string;
  ends_at: Date | string | null;
}): IncidentAlert {
  return {
    fingerprint: row.fingerprint,
    alertname: row.alertname,
    status: row.status,
    summary: row.annotations.summary ?? row.annotations.description ?? null,
    startsAt: new Date(row.starts_at).toISOString(),
    endsAt: row.ends_at === null ? null : new Date(row.ends_at).toISOString(),
    ...alertFacts(row.labels, row.annotations),
  };
}
