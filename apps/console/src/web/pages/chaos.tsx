import { useContext, useState } from 'preact/hooks';
import { type ApiError, call } from '../api.js';
import { Badge, Failure, NumberField, Show, TokenField } from '../components.js';
import { usePoll } from '../hooks.js';
import { SessionContext } from '../session.js';
import type { AuditEntry, Chaos } from '../types.js';
import { duration } from '../view.js';

const REFRESH_MS = 2000;
type Kind = 'error' | 'latency' | 'abort';

function StartFault({ service, onDone }: { service: string; onDone: () => void }) {
  const { adminToken } = useContext(SessionContext);
  const [kind, setKind] = useState<Kind>('error');
  const [route, setRoute] = useState('/v1/*');
  const [probability, setProbability] = useState('1');
  const [latencyMs, setLatencyMs] = useState('500');
  const [status, setStatus] = useState('503');
  const [durationSeconds, setDurationSeconds] = useState('300');
  const [error, setError] = useState<ApiError | undefined>();
  const submit = async (event: Event) => {
    event.preventDefault();
    const result = await call(service, '/admin/chaos/faults', {
      method: 'POST',
      token: adminToken,
      body: {
        kind,
        target: route ? { route } : {},
        probability: Number(probability),
        durationSeconds: Number(durationSeconds),
        ...(kind === 'latency' ? { latencyMs: Number(latencyMs) } : {}),
        ...(kind === 'error' ? { status: Number(status) } : {}),
      },
    });
    setError(result.ok ? undefined : result.error);
    onDone();
  };
  return (
    <form onSubmit={submit} aria-label="Start a fault">
      <h2>Start a fault</h2>
      <label>
        Kind{' '}
        <select value={kind} onChange={(e) => setKind(e.currentTarget.value as Kind)}>
          <option value="error">error</option>
          <option value="latency">latency</option>
          <option value="abort">abort</option>
        </select>
      </label>
      <label>
        Route <input value={route} onInput={(e) => setRoute(e.currentTarget.value)} />
      </label>
      <NumberField
        label="Probability"
        min={0}
        max={1}
        step={0.01}
        value={probability}
        onChange={setProbability}
      />
      {kind === 'latency' && (
        <NumberField label="Latency ms" min={0} max={10_000} value={latencyMs} onChange={setLatencyMs} />
      )}
      {kind === 'error' && (
        <NumberField label="Status" min={400} max={599} value={status} onChange={setStatus} />
      )}
      <NumberField label="Seconds" min={1} value={durationSeconds} onChange={setDurationSeconds} />
      <button type="submit">Start fault</button>
      {error && <Failure error={error} service={service} />}
    </form>
  );
}

function ChaosPanel({ service }: { service: string }) {
  const { adminToken } = useContext(SessionContext);
  const [error, setError] = useState<ApiError | undefined>();
  const [status, reload] = usePoll(
    () => call<Chaos>(service, '/admin/chaos/status', { token: adminToken }),
    REFRESH_MS,
    [service, adminToken],
  );
  const [audit, reloadAudit] = usePoll(
    () => call<AuditEntry[]>(service, '/admin/chaos/audit?limit=20', { token: adminToken }),
    REFRESH_MS,
    [service, adminToken],
  );
  const refresh = () => {
    reload();
    reloadAudit();
  };
  const remove = async (path: string) => {
    const result = await call(service, path, { method: 'DELETE', token: adminToken });
    setError(result.ok ? undefined : result.error);
    refresh();
  };
  if (!('state' in status) && !status.ok && status.error.status === 404) {
    return <p class="muted">Chaos is not enabled on {service} (CHAOS_ENABLED=false).</p>;
  }
  return (
    <>
      <Show value={status} service={service} what="chaos status">
        {(chaos) => (
          <section aria-labelledby="faults">
            <h2 id="faults">
              Active faults{' '}
              <Badge tone={chaos.enabled ? 'warn' : 'good'}>{chaos.enabled ? 'injecting' : 'paused'}</Badge>
            </h2>
            <button type="button" class="danger" onClick={() => remove('/admin/chaos/faults')}>
              Kill switch: remove every fault
            </button>
            {chaos.faults.length === 0 ? (
              <p class="muted">No active faults.</p>
            ) : (
              <table>
                <thead>
                  <tr>
                    <th>Fault</th>
                    <th>Target</th>
                    <th>Probability</th>
                    <th>Time left</th>
                    <th />
                  </tr>
                </thead>
                <tbody>
                  {chaos.faults.map((fault) => (
                    <tr key={fault.id} data-fault={fault.id}>
                      <td>
                        {fault.kind}
                        {fault.status ? ` ${fault.status}` : ''}
                        {fault.latencyMs ? ` ${fault.latencyMs} ms` : ''}
                      </td>
                      <td>{fault.target.route ?? fault.target.dependency ?? 'every route'}</td>
                      <td>{fault.currentStep.probability}</td>
                      <td>{duration(fault.remainingSeconds)}</td>
                      <td>
                        <button type="button" onClick={() => remove(`/admin/chaos/faults/${fault.id}`)}>
                          Remove
                        </button>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
            {error && <Failure error={error} service={service} />}
          </section>
        )}
      </Show>
      {!('state' in status) && status.ok && <StartFault service={service} onDone={refresh} />}
      <section aria-labelledby="audit">
        <h2 id="audit">Audit trail</h2>
        <Show value={audit} service={service} what="the audit trail">
          {(entries) =>
            entries.length === 0 ? (
              <p class="muted">Nothing yet.</p>
            ) : (
              <ol class="timeline">
                {entries.map((entry) => (
                  <li key={entry.id}>
                    <time dateTime={entry.at}>{new Date(entry.at).toLocaleString()}</time>{' '}
                    <strong>{entry.action}</strong> by {entry.actor}
                    {entry.reason ? ` (${entry.reason})` : ''}
                  </li>
                ))}
              </ol>
            )
          }
        </Show>
      </section>
    </>
  );
}

export function ChaosPage({ services, service }: { services: string[]; service: string | undefined }) {
  const { adminToken, setAdminToken } = useContext(SessionContext);
  const chosen = service ?? services[0] ?? '';
  return (
    <>
      <h1>Chaos</h1>
      <form class="filters" aria-label="Chaos target" onSubmit={(e) => e.preventDefault()}>
        <label>
          Service{' '}
          <select
            value={chosen}
            onChange={(e) => (window.location.hash = `#/chaos/${e.currentTarget.value}`)}
          >
            {services.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </label>
        <TokenField
          label="Admin token"
          placeholder="CHAOS_ADMIN_TOKEN, kept in this tab only"
          value={adminToken}
          onChange={setAdminToken}
        />
      </form>
      {adminToken === '' ? (
        <p class="muted">Type the admin token of {chosen} to see and change its faults.</p>
      ) : (
        <ChaosPanel key={chosen} service={chosen} />
      )}
    </>
  );
}
