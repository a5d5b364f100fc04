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

/** The query for one window, on one line so a YAML block scalar in the spec keeps the rules readable. */
export function renderQuery(template: string, window: string): string {
  return template
    .split(WINDOW_PLACEHOLDER)
    .join(window)
    .trim()
    .replace(/\s*\n\s*/g, ' ');
}
