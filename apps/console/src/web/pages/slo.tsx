import { useState } from 'preact/hooks';
import { call } from '../api.js';
import { HistoryChart } from '../chart.js';
import { Show } from '../components.js';
import { usePoll } from '../hooks.js';
import type { SloHistory, SloStatus } from '../types.js';
import { burn, thresholdLines } from '../view.js';
import { SloCard } from './overview.js';

const WINDOWS = ['1h', '6h', '1d', '3d', '7d', '30d'] as const;
const REFRESH_MS = 10_000;

export function SloPage({ service, name }: { service: string; name: string }) {
  const [window, setWindow] = useState<(typeof WINDOWS)[number]>('6h');
  const path = `/v1/slo/${encodeURIComponent(name)}`;
  const [status] = usePoll(() => call<SloStatus>(service, path), REFRESH_MS, [service, name]);
  const [history] = usePoll(() => call<SloHistory>(service, `${path}/history?window=${window}`), REFRESH_MS, [
    service,
    name,
    window,
  ]);
  return (
    <>
      <p>
        <a href="#/">← Overview</a>
      </p>
      <h1>
        {name} <span class="muted">on {service}</span>
      </h1>
      <Show value={status} service={service} what="the SLO">
        {(slo) => <SloCard service={service} slo={slo} />}
      </Show>
      <section aria-labelledby="history">
        <h2 id="history">SLI and burn rate over time</h2>
        <label>
          Window{' '}
          <select
            value={window}
            onChange={(e) => setWindow(e.currentTarget.value as (typeof WINDOWS)[number])}
          >
            {WINDOWS.map((w) => (
              <option key={w} value={w}>
                {w}
              </option>
            ))}
          </select>
        </label>
        <Show value={history} service={service} what="the history">
          {(h) => (
            <>
              <HistoryChart history={h} />
              <p class="muted">
                One point per {h.stepMinutes} min; gaps had no traffic. Dashed lines: the burn rates at which
                each alert fires.
              </p>
              <ul>
                {thresholdLines(h).map((line) => (
                  <li key={line.label}>
                    {line.severity}: {line.label} — fires above {burn(line.value)}
                  </li>
                ))}
              </ul>
            </>
          )}
        </Show>
      </section>
    </>
  );
}
