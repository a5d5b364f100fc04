import { useState } from 'preact/hooks';
import { call } from '../api.js';
import { Badge, Show } from '../components.js';
import { useIncidentStream, useNow, usePoll } from '../hooks.js';
import type { ConsoleSettings, Health, Incident, SloStatus } from '../types.js';
import {
  age,
  applyIncidentEvent,
  budgetTone,
  budgetWidth,
  burn,
  HEALTH_LABELS,
  healthTone,
  percent,
} from '../view.js';

const REFRESH_MS = 5000;
const SHOWN_BURN_WINDOWS = ['5m', '1h', '6h', '3d'] as const;

/** `/health` answers 503 with its report when not ready: any report is the service's health, no answer is down. */
async function readHealth(service: string): Promise<{ ok: true; data: Health | 'down'; etag: null }> {
  try {
    const response = await fetch(`/api/${service}/health`, { headers: { accept: 'application/json' } });
    const body = (await response.json()) as Partial<Health>;
    return { ok: true, data: typeof body.status === 'string' ? (body as Health) : 'down', etag: null };
  } catch {
    return { ok: true, data: 'down', etag: null };
  }
}

function ServiceHealth({ service }: { service: string }) {
  const [health] = usePoll(() => readHealth(service), REFRESH_MS, [service]);
  if ('state' in health || !health.ok) return <span class="muted">checking…</span>;
  const report = health.data;
  const status = report === 'down' ? 'down' : report.status;
  return (
    <span>
      <Badge tone={healthTone(status)}>{HEALTH_LABELS[status]}</Badge>
      {report !== 'down' &&
        report.breakers.map((b) => (
          <Badge key={b.name} tone={b.state === 'closed' ? 'good' : b.state === 'open' ? 'bad' : 'warn'}>
            breaker {b.name}: {b.state}
          </Badge>
        ))}
    </span>
  );
}

export function SloCard({ service, slo }: { service: string; slo: SloStatus }) {
  const tone = budgetTone(slo.policy);
  const firing = slo.alerts.filter((a) => a.firing);
  return (
    <article class={`slo ${tone}`} data-slo={slo.name} data-tone={tone}>
      <h3>
        <a href={`#/slo/${service}/${encodeURIComponent(slo.name)}`}>{slo.name}</a>
      </h3>
      <p class="muted">{slo.description}</p>
      <dl>
        <dt>Objective</dt>
        <dd>{percent(slo.objective, 2)}</dd>
        <dt>SLI ({slo.periodDays}d)</dt>
        <dd>{percent(slo.sli, 3)}</dd>
        <dt>Budget left</dt>
        <dd>
          {percent(slo.errorBudget.remainingRatio, 1)} · policy <strong>{slo.policy}</strong>
        </dd>
      </dl>
      {/* The figure is in the text above; the bar repeats it for the eye. */}
      <div class="bar" aria-hidden="true">
        <span class={tone} style={{ width: budgetWidth(slo.errorBudget.remainingRatio) }} />
      </div>
      <table class="burn">
        <caption>Burn rate</caption>
        <tr>
          {SHOWN_BURN_WINDOWS.map((w) => (
            <th key={w}>{w}</th>
          ))}
        </tr>
        <tr>
          {SHOWN_BURN_WINDOWS.map((w) => (
            <td key={w}>{burn(slo.burnRates[w])}</td>
          ))}
        </tr>
      </table>
      {firing.length === 0 ? (
        <p class="muted">No alert firing</p>
      ) : (
        <ul class="alerts">
          {firing.map((a) => (
            <li key={a.tier}>
              <Badge tone="bad">
                {a.severity} {a.tier}
              </Badge>{' '}
              burning over {burn(a.factor)} in {a.longWindow} and {a.shortWindow}
            </li>
          ))}
        </ul>
      )}
    </article>
  );
}

function ServiceSlos({ service }: { service: string }) {
  const [slos] = usePoll(() => call<SloStatus[]>(service, '/v1/slo'), REFRESH_MS, [service]);
  return (
    <Show value={slos} service={service} what="SLOs">
      {(list) =>
        list.length === 0 ? (
          <p class="muted">No SLOs</p>
        ) : (
          <div class="cards">
            {list.map((slo) => (
              <SloCard key={slo.name} service={service} slo={slo} />
            ))}
          </div>
        )
      }
    </Show>
  );
}

export function IncidentRows({ incidents, now }: { incidents: Incident[]; now: number }) {
  return (
    <table class="incidents">
      <thead>
        <tr>
          <th>Incident</th>
          <th>Severity</th>
          <th>Service</th>
          <th>Status</th>
          <th>Age</th>
        </tr>
      </thead>
      <tbody>
        {incidents.map((incident) => (
          <tr key={incident.id} data-incident={incident.id}>
            <td>
              <a href={`#/incidents/${incident.id}`}>{incident.title}</a>
            </td>
            <td>
              <Badge tone={incident.severity === 'critical' || incident.severity === 'high' ? 'bad' : 'warn'}>
                {incident.priority} {incident.severity}
              </Badge>
            </td>
            <td>{incident.services.map((s) => s.name).join(', ') || '—'}</td>
            <td>{incident.status}</td>
            <td>{age(incident.createdAt, now)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function ActiveIncidents({ service }: { service: string }) {
  const now = useNow();
  const [active, setActive] = useState<Incident[] | undefined>();
  const [initial] = usePoll(
    async () => {
      const result = await call<Incident[]>(service, '/v1/incidents/active?limit=50');
      if (result.ok) setActive(result.data);
      return result;
    },
    0,
    [service],
  );
  const stream = useIncidentStream(service, (event) =>
    setActive((list) => applyIncidentEvent(list ?? [], event)),
  );
  return (
    <section aria-labelledby="active-incidents">
      <h2 id="active-incidents">
        Active incidents{' '}
        <Badge tone={stream === 'live' ? 'good' : 'warn'}>{stream === 'live' ? 'live' : 'connecting…'}</Badge>
      </h2>
      <Show value={initial} service={service} what="incidents">
        {() =>
          active === undefined || active.length === 0 ? (
            <p class="muted">No active incidents.</p>
          ) : (
            <IncidentRows incidents={active} now={now} />
          )
        }
      </Show>
    </section>
  );
}

export function OverviewPage({ settings }: { settings: ConsoleSettings }) {
  return (
    <>
      <h1>Overview</h1>
      <ActiveIncidents service={settings.incidentsService} />
      {settings.services.map(({ name }) => (
        <section key={name} aria-labelledby={`svc-${name}`} data-service={name}>
          <h2 id={`svc-${name}`}>
            {name} <ServiceHealth service={name} />
          </h2>
          <ServiceSlos service={name} />
        </section>
      ))}
    </>
  );
}
