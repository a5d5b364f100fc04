/// <reference lib="dom" />
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';
import { buildApp } from '../src/app.js';
import { consoleConfig } from './helpers.js';
import { type RunningService, type ServiceName, startService } from './stack.js';

/** Debian's chromium (`apt-get install chromium`): Playwright's own browser download cannot work here. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** Screenshots of each page, kept as test artifacts (gitignored). */
const ARTIFACTS = fileURLToPath(new URL('../artifacts/', import.meta.url));
const STEP_MS = 20_000;

export interface ApiInit {
  method?: string;
  body?: unknown;
  token?: string;
  ifMatch?: string;
}

/** A call straight to a service (not through the console), as another person or Alertmanager would make it. */
export async function api(service: RunningService, path: string, init: ApiInit = {}) {
  const headers: Record<string, string> = {};
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  if (init.token) headers.authorization = `Bearer ${init.token}`;
  if (init.ifMatch) headers['if-match'] = init.ifMatch;
  const response = await fetch(`${service.url}${path}`, {
    method: init.method ?? 'GET',
    headers,
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
  // biome-ignore lint/suspicious/noExplicitAny: the services' bodies, read field by field by the tests
  const body: any = await response.json();
  return { status: response.status, etag: response.headers.get('etag'), body };
}

export interface ConsoleInBrowser<K extends ServiceName = ServiceName> {
  /** The services started, by name. */
  services: Record<K, RunningService>;
  url: string;
  page: Page;
  /** Another page at the same size, as a second person (or tab) would have it open. */
  newPage(): Promise<Page>;
  /** A full-page screenshot of `page` (or another tab) into apps/console/artifacts/<name>.png. */
  shot(name: string, of?: Page): Promise<unknown>;
  close(): Promise<void>;
}

/**
 * The named services as processes on fresh databases (each with its extra environment), the console in front of
 * them, and one chromium page at 1280×800.
 */
export async function openConsole<K extends ServiceName>(
  adminUrl: string,
  wanted: Record<K, Record<string, string>>,
): Promise<ConsoleInBrowser<K>> {
  const entries = Object.entries(wanted) as [K, Record<string, string>][];
  const started = await Promise.all(entries.map(([name, env]) => startService(name, adminUrl, env)));
  const services = Object.fromEntries(started.map((s) => [s.name, s])) as Record<K, RunningService>;
  const app = await buildApp(
    consoleConfig({ CONSOLE_SERVICES: started.map((s) => `${s.name}=${s.url}`).join(',') }),
  );
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  await mkdir(ARTIFACTS, { recursive: true });
  const browser: Browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  const newPage = async () => {
    const opened = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    opened.setDefaultTimeout(STEP_MS);
    return opened;
  };
  const page = await newPage();
  return {
    services,
    url,
    page,
    newPage,
    shot: (name, of = page) => of.screenshot({ path: `${ARTIFACTS}${name}.png`, fullPage: true }),
    async close() {
      await browser.close();
      await app.close();
      await Promise.all(started.map((s) => s.stop()));
    },
  };
}
