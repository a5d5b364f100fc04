import 'uplot/dist/uPlot.min.css';
import './style.css';
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { TokenField } from './components.js';
import { ChaosPage } from './pages/chaos.js';
import { IncidentPage } from './pages/incident.js';
import { IncidentsPage } from './pages/incidents.js';
import { OverviewPage } from './pages/overview.js';
import { SloPage } from './pages/slo.js';
import { type Session, SessionContext } from './session.js';
import type { ConsoleSettings } from './types.js';
import { incidentFilters } from './view.js';

/** Routes live in the hash (#/incidents/…?filter=…), so the server only serves files and reloads keep the page. */
interface Route {
  path: string[];
  query: URLSearchParams;
}

function useRoute(): Route {
  const parse = (): Route => {
    const [path = '', query = ''] = window.location.hash.replace(/^#\/?/, '').split('?', 2);
    return {
      path: path.split('/').filter(Boolean).map(decodeURIComponent),
      query: new URLSearchParams(query),
    };
  };
  const [route, setRoute] = useState(parse);
  useEffect(() => {
    const onChange = () => setRoute(parse());
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return route;
}

function Page({ route, settings }: { route: Route; settings: ConsoleSettings }) {
  const [page, a, b] = route.path;
  const incidents = settings.incidentsService;
  if (page === 'slo' && a && b) return <SloPage service={a} name={b} />;
  if (page === 'incidents' && a) return <IncidentPage service={incidents} id={a} />;
  if (page === 'incidents') {
    const filters = incidentFilters(route.query);
    // Other filters are another list: it starts again from its first page.
    return <IncidentsPage key={JSON.stringify(filters)} service={incidents} filters={filters} />;
  }
  if (page === 'chaos') return <ChaosPage services={settings.services.map((s) => s.name)} service={a} />;
  return <OverviewPage settings={settings} />;
}

function App() {
  const route = useRoute();
  const [token, setToken] = useState('');
  const [adminToken, setAdminToken] = useState('');
  const [settings, setSettings] = useState<ConsoleSettings | 'failed' | undefined>();
  useEffect(() => {
    fetch('/console/settings')
      .then((r) => (r.ok ? r.json() : Promise.reject(new Error(String(r.status)))))
      .then(setSettings, () => setSettings('failed'));
  }, []);
  const session: Session = { token, setToken, adminToken, setAdminToken };
  const current = route.path[0] ?? '';
  const link = (href: string, label: string, name: string) => (
    <a href={href} aria-current={current === name ? 'page' : undefined}>
      {label}
    </a>
  );
  return (
    <SessionContext.Provider value={session}>
      <header>
        <nav aria-label="Pages">
          <strong>Steadfast</strong>
          {link('#/', 'Overview', '')}
          {link('#/incidents', 'Incidents', 'incidents')}
          {link('#/chaos', 'Chaos', 'chaos')}
        </nav>
        <TokenField
          label="Your token"
          placeholder="for changes, when the services need one"
          value={token}
          onChange={setToken}
        />
      </header>
      <main>
        {settings === undefined && <p class="muted">Loading the console…</p>}
        {settings === 'failed' && (
          <p class="failure" role="alert">
            The console server cannot be reached. Is it running?
          </p>
        )}
        {typeof settings === 'object' && <Page route={route} settings={settings} />}
      </main>
    </SessionContext.Provider>
  );
}

render(<App />, document.getElementById('app') as HTMLElement);
