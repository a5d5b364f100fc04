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

/** Routes live in the hash (#/incidents/…), so the server only serves files and reloads keep the page. */
function useRoute(): string[] {
  const parse = () =>
    window.location.hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
  const [route, setRoute] = useState(parse);
  useEffect(() => {
    const onChange = () => setRoute(parse());
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return route;
}

function Page({ route, settings }: { route: string[]; settings: ConsoleSettings }) {
  const [page, a, b] = route;
  const incidents = settings.incidentsService;
  if (page === 'slo' && a && b) return <SloPage service={a} name={b} />;
  if (page === 'incidents' && a) return <IncidentPage service={incidents} id={a} />;
  if (page === 'incidents') return <IncidentsPage service={incidents} />;
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
  const current = route[0] ?? '';
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
