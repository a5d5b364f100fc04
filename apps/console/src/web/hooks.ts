import { useEffect, useRef, useState } from 'preact/hooks';
import type { Result } from './api.js';
import type { IncidentEvent } from './types.js';

export type Loaded<T> = { state: 'loading' } | Result<T>;

/** Runs `load` now and every `everyMs` while the page is open; the last answer wins. */
export function usePoll<T>(
  load: () => Promise<Result<T>>,
  everyMs: number,
  deps: unknown[],
): [Loaded<T>, () => void] {
  const [value, setValue] = useState<Loaded<T>>({ state: 'loading' });
  const [tick, setTick] = useState(0);
  // A refresh keeps showing what was there (and any message beside it) until the answer comes; only another
  // subject (other deps) starts again from "Loading…".
  const key = JSON.stringify(deps);
  const shown = useRef(key);
  useEffect(() => {
    if (shown.current !== key) {
      shown.current = key;
      setValue({ state: 'loading' });
    }
    let live = true;
    const run = async () => {
      const result = await load();
      if (live) setValue(result);
    };
    void run();
    const timer = everyMs > 0 ? setInterval(run, everyMs) : undefined;
    return () => {
      live = false;
      clearInterval(timer);
    };
  }, [key, tick]);
  return [value, () => setTick((t) => t + 1)];
}

export const INCIDENT_EVENTS = ['incident.created', 'incident.updated', 'incident.resolved'] as const;

/** The incident stream of one service; EventSource reconnects by itself, resuming with Last-Event-ID. */
export function useIncidentStream(
  service: string,
  onEvent: (event: IncidentEvent) => void,
): 'live' | 'connecting' {
  const [state, setState] = useState<'live' | 'connecting'>('connecting');
  const handler = useRef(onEvent);
  handler.current = onEvent;
  useEffect(() => {
    const source = new EventSource(`/api/${service}/v1/incidents/stream`);
    source.onopen = () => setState('live');
    source.onerror = () => setState('connecting');
    const listener = (message: MessageEvent<string>) =>
      handler.current(JSON.parse(message.data) as IncidentEvent);
    for (const type of INCIDENT_EVENTS) source.addEventListener(type, listener);
    return () => source.close();
  }, [service]);
  return state;
}

/** The current time, re-rendered every second, for ages and countdowns. */
export function useNow(): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);
  return now;
}
