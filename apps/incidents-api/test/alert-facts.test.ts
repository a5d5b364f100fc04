import { generateRules, parseSpecs } from '@steadfast/slo';
import { describe, expect, it } from 'vitest';
import { alertFacts } from '../src/alerts/alert-facts.js';

// The alerts as `steadfast-slo generate --window-annotations` writes them, so the reader and the writer of the
// annotations cannot drift apart. Alertmanager sends the annotation templates rendered: `$value` is the alert's
// value, the short window's error ratio, through `humanizePercentage`.
const SPEC = `
version: "prometheus/v1"
service: "checkout"
slos:
  - name: "requests-availability"
    objective: 99.9
    sli:
      events:
        error_query: sum(rate(http_requests_total{code=~"5.."}[{{.window}}]))
        total_query: sum(rate(http_requests_total[{{.window}}]))
    alerting:
      name: CheckoutAvailability
      annotations:
        runbook_url: "deploy/runbooks/slo-availability.md#checkout"
      page_alert:
        labels:
          severity: critical
      ticket_alert:
        labels:
          severity: warning
`;

const [pageFast] = generateRules(parseSpecs(SPEC, { source: 'checkout.yaml' }), { windowAnnotations: true })
  .groups.flatMap((group) => group.rules)
  .flatMap((rule) => ('alert' in rule ? [rule] : []));

const rendered = (annotations: Record<string, string>, value: string) =>
  Object.fromEntries(
    Object.entries(annotations).map(([name, text]) => [
      name,
      text.replace('{{ $value | humanizePercentage }}', value),
    ]),
  );

describe('what an alert of the generated rules tells an incident', () => {
  it('reads the windows, threshold, objective, period, error ratio and runbook the generator writes', () => {
    const labels = pageFast!.labels as Record<string, string>;
    const facts = alertFacts(labels, rendered(pageFast!.annotations as Record<string, string>, '2.5%'));
    expect(facts).toMatchObject({
      tier: 'page-fast',
      sloSeverity: 'page',
      longWindow: '1h',
      shortWindow: '5m',
      defaultWindows: false,
      burnRateThreshold: 14.4,
      objective: 0.999,
      periodDays: 30,
      runbookUrl: 'deploy/runbooks/slo-availability.md#checkout',
    });
    expect(facts.errorRatio).toBeCloseTo(0.025, 10);
    expect(facts.burnRate).toBeCloseTo(25, 6);
  });

  it('takes a plain ratio and a plain objective too, and refuses what is not a number or a safe link', () => {
    expect(alertFacts({}, { error_ratio: '0.012', objective: '99.5' })).toMatchObject({
      errorRatio: 0.012,
      objective: 0.995,
    });
    expect(
      alertFacts(
        {},
        { short_window_error_ratio: 'lots', objective: '100%', runbook_url: 'javascript:alert(1)' },
      ),
    ).toMatchObject({ errorRatio: null, objective: null, runbookUrl: null });
    expect(alertFacts({}, { runbook_url: '../../etc/passwd.md' }).runbookUrl).toBeNull();
    expect(alertFacts({}, { runbook_url: 'https://runbooks.example/slo' }).runbookUrl).toBe(
      'https://runbooks.example/slo',
    );
  });
});
