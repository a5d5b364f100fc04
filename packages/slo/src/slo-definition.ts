import type { AlertWindow } from './alert-windows.js';

/** Per-severity overrides, as in Sloth's `page_alert` and `ticket_alert`. */
export interface SeverityAlerting {
  enabled: boolean;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export interface SloAlerting {
  /** The Prometheus alert name, shared by all tiers of the SLO. */
  name: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  page: SeverityAlerting;
  ticket: SeverityAlerting;
}

/**
 * What an SLO measures, as query templates with `{{.window}}` where the range goes. Events SLIs count bad
 * and all events, so any window's ratio, the period's included, is exact. A ratio SLI (Sloth's `sli.raw`,
 * plugins, OpenSLO thresholds and time slices) only gives a ratio per window.
 */
export type SliQueries =
  | {
      /** PromQL for the rate of bad events. */
      errorQuery: string;
      /** PromQL for the rate of all events. */
      totalQuery: string;
    }
  | { /** PromQL for the share of bad events in the window, 0 to 1. */ errorRatioQuery: string };

export const SPEC_FORMATS = ['prometheus/v1', 'sloth.slok.dev/v1', 'openslo/v1', 'openslo/v1alpha'] as const;
export type SpecFormat = (typeof SPEC_FORMATS)[number];

/** One SLO, whichever spec format it came from; the rule generator only sees this. */
export interface SloDefinition {
  /** `<service>-<name>`, Sloth's `sloth_id`. */
  id: string;
  service: string;
  name: string;
  description: string;
  /** A ratio: 0.999. */
  objective: number;
  periodDays: number;
  /**
   * An OpenSLO calendar window. Prometheus ranges end now and cannot start at a date, so such an SLO gets
   * its burn-rate windows and alerts (with the factors of `periodDays`) but no period records.
   */
  calendar?: { duration: string; startTime: string };
  sli: SliQueries;
  /** Added to every recorded series (and so to alerts), like Sloth's spec and SLO labels. */
  labels: Record<string, string>;
  alerting: SloAlerting | undefined;
  /** The SLO's own alert tiers (an OpenSLO AlertPolicy); otherwise those of its period. */
  alertWindows?: AlertWindow<string>[];
  spec: SpecFormat;
  /** The Kubernetes object the SLO came from (a Sloth CRD), which names a PrometheusRule made from it. */
  origin?: { name: string; namespace?: string | undefined };
}

/** Sloth's Go-template placeholder for the range of a query, spaces allowed: `{{ .window }}`. */
const WINDOW_PLACEHOLDER = /\{\{\s*\.window\s*\}\}/;
const TEMPLATE_ACTION = /\{\{(.*?)\}\}/g;

export const hasWindowPlaceholder = (template: string): boolean => WINDOW_PLACEHOLDER.test(template);

/** Template actions other than `{{.window}}`, such as `{{.job}}`: Sloth fills in only the window. */
export const unknownTemplateActions = (template: string): string[] =>
  [...template.matchAll(TEMPLATE_ACTION)].map((m) => m[0]).filter((action) => !hasWindowPlaceholder(action));

/**
 * PromQL comments run from `#` to the end of the line, so folding a query onto one line would comment
 * out everything after the first one. A `#` inside a quoted string (a label value such as "/a#b") is
 * text, not a comment.
 */
function withoutComments(query: string): string {
  let out = '';
  let quote: string | undefined;
  for (let i = 0; i < query.length; i++) {
    const char = query[i] as string;
    if (quote !== undefined) {
      out += char;
      if (char === '\\' && quote !== '`') out += query[++i] ?? '';
      else if (char === quote) quote = undefined;
    } else if (char === '#') {
      while (i + 1 < query.length && query[i + 1] !== '\n') i++;
    } else {
      if (char === '"' || char === "'" || char === '`') quote = char;
      out += char;
    }
  }
  return out;
}

/** The query for one window, on one line so a YAML block scalar in the spec keeps the rules readable. */
export function renderQuery(template: string, window: string): string {
  return withoutComments(template.split(WINDOW_PLACEHOLDER).join(window))
    .trim()
    .replace(/\s*\n\s*/g, ' ');
}

/**
 * Bad over total events, from rendered queries. Sloth divides the two queries as they are, so an idle
 * service records 0/0 = NaN, and a service that has never failed records nothing. Here the denominator
 * only exists while there is traffic, and the `or` fills in 0 whenever the total exists: no traffic or no
 * errors both read as "nothing failed".
 */
export function eventsErrorRatio(errors: string, total: string): string {
  return `(\n  (${errors})\n  /\n  ((${total}) > 0)\n)\nor\n(\n  (${total}) * 0\n)\n`;
}
