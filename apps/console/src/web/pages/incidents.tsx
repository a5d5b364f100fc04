import { useContext, useState } from 'preact/hooks';
import { type ApiError, call } from '../api.js';
import { Failure, Show } from '../components.js';
import { useIncidentStream, useNow, usePoll } from '../hooks.js';
import { SessionContext } from '../session.js';
import type { Incident, IncidentDetail, Severity } from '../types.js';
import { type IncidentFilters, incidentQuery, incidentsHash } from '../view.js';
import { IncidentRows } from './overview.js';

const STATUSES = ['open', 'investigating', 'identified', 'monitoring', 'resolved'];
const SEVERITIES: Severity[] = ['critical', 'high', 'medium', 'low'];

function OpenIncidentForm({ service }: { service: string }) {
  const { token } = useContext(SessionContext);
  const [title, setTitle] = useState('');
  const [severity, setSeverity] = useState<Severity>('medium');
  const [error, setError] = useState<ApiError | undefined>();
  const submit = async (event: Event) => {
    event.preventDefault();
    const result = await call<IncidentDetail>(service, '/v1/incidents', {
      method: 'POST',
      body: { title, severity },
      token,
    });
    if (!result.ok) return setError(result.error);
    window.location.hash = `#/incidents/${result.data.id}`;
  };
  return (
    <form onSubmit={submit} aria-label="Open an incident">
      <h2>Open an incident</h2>
      <label>
        Title{' '}
        <input required maxLength={200} value={title} onInput={(e) => setTitle(e.currentTarget.value)} />
      </label>
      <label>
        Severity{' '}
        <select value={severity} onChange={(e) => setSeverity(e.currentTarget.value as Severity)}>
          {SEVERITIES.map((s) => (
            <option key={s}>{s}</option>
          ))}
        </select>
      </label>
      <button type="submit">Open</button>
      {error && <Failure error={error} service={service} />}
    </form>
  );
}

export function IncidentsPage({ service, filters }: { service: string; filters: IncidentFilters }) {
  const now = useNow();
  // The cursors of the pages before this one, so "newer" goes back.
  const [cursors, setCursors] = useState<string[]>([]);
  const cursor = cursors.at(-1) ?? '';
  const [page, reload] = usePoll(
    () => call<Incident[]>(service, `/v1/incidents?${incidentQuery({ ...filters, cursor })}`),
    0,
    [service, filters, cursor],
  );
  useIncidentStream(service, () => {
    if (cursors.length === 0) reload();
  });
  // The filters live in the page's address (shareable, kept on reload); changing one is a new address.
  const filter = (key: keyof IncidentFilters) => (e: Event) => {
    window.location.hash = incidentsHash({
      ...filters,
      [key]: (e.currentTarget as HTMLInputElement | HTMLSelectElement).value.trim(),
    });
  };
  const next =
    !('state' in page) && page.ok ? (page.meta as { nextCursor?: string | null })?.nextCursor : null;
  return (
    <>
      <h1>Incidents</h1>
      <form class="filters" aria-label="Filters" onSubmit={(e) => e.preventDefault()}>
        <label>
          Status{' '}
          <select value={filters.status} onChange={filter('status')}>
            <option value="">any</option>
            {STATUSES.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </label>
        <label>
          Severity{' '}
          <select value={filters.severity} onChange={filter('severity')}>
            <option value="">any</option>
            {SEVERITIES.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </label>
        <label>
          Service{' '}
          <input
            type="search"
            maxLength={100}
            placeholder="any"
            value={filters.service}
            onChange={filter('service')}
          />
        </label>
      </form>
      <Show value={page} service={service} what="incidents">
        {(incidents) =>
          incidents.length === 0 ? (
            <p class="muted">No incidents match.</p>
          ) : (
            <IncidentRows incidents={incidents} now={now} />
          )
        }
      </Show>
      <nav class="paging" aria-label="Pages of incidents">
        <button
          type="button"
          disabled={cursors.length === 0}
          onClick={() => setCursors((c) => c.slice(0, -1))}
        >
          ← Newer
        </button>
        <button type="button" disabled={!next} onClick={() => next && setCursors((c) => [...c, next])}>
          Older →
        </button>
      </nav>
      <OpenIncidentForm service={service} />
    </>
  );
}
