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
  /** PromQL for the rate of bad events, with `{{.window}}` where the range goes. */
  errorQuery: string;
  /** PromQL for the rate of all events, with `{{.window}}`. */
  totalQuery: string;
  /** Added to every recorded series (and so to alerts), like Sloth's spec and SLO labels. */
  labels: Record<string, string>;
  alerting: SloAlerting | undefined;
  spec: 'prometheus/v1' | 'openslo/v1';
}

/** Sloth's Go-template placeholder for the range of a query, spaces allowed: `{{ .window }}`. */
const WINDOW_PLACEHOLDER = /\{\{\s*\.window\s*\}\}/;

export const hasWindowPlaceholder = (template: string): boolean => WINDOW_PLACEHOLDER.test(template);

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
