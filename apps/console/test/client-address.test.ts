import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { buildApp } from '../src/app.js';
import { consoleConfig } from './helpers.js';
import { type RunningService, startService } from './stack.js';

/** Small enough to spend in a test; the services' own default is 300 (the incident list is a limited read). */
const READS_PER_WINDOW = 5;

let incidents: RunningService;
let consoleApp: Awaited<ReturnType<typeof buildApp>>;
let port: number;

beforeAll(async () => {
  incidents = await startService('incidents-api', inject('postgresAdminUrl'), {
    // The console reaches the service from 127.0.0.1: only that peer's X-Forwarded-For is believed.
    TRUST_PROXY: '127.0.0.1',
    RATE_LIMIT_MAX: String(READS_PER_WINDOW),
    RATE_LIMIT_WINDOW_MS: '600000',
  });
  consoleApp = await buildApp(consoleConfig({ CONSOLE_SERVICES: `incidents-api=${incidents.url}` }));
  await consoleApp.listen({ port: 0, host: '127.0.0.1' });
  port = (consoleApp.server.address() as { port: number }).port;
}, 120_000);

afterAll(async () => {
  await consoleApp?.close();
  await incidents?.stop();
}, 60_000);

/** A read through the console by a browser on `address` (a loopback address of its own). */
function readFrom(address: string, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; code: string | undefined }>((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path: '/api/incidents-api/v1/incidents', localAddress: address, headers },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          text += chunk;
        });
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            code: (JSON.parse(text) as { error?: { code: string } }).error?.code,
          }),
        );
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('the services see each browser behind the console as a client of its own', () => {
  it('gives two browsers separate rate-limit budgets at the service', async () => {
    for (let i = 0; i < READS_PER_WINDOW; i++) expect((await readFrom('127.0.0.2')).status).toBe(200);
    await expect(readFrom('127.0.0.2')).resolves.toEqual({ status: 429, code: 'RATE_LIMITED' });
    // Before the console forwarded the address, this browser was refused too: one budget for every user.
    await expect(readFrom('127.0.0.3')).resolves.toMatchObject({ status: 200 });
  });

  it('does not let a browser pick its budget with an X-Forwarded-For of its own', async () => {
    await expect(readFrom('127.0.0.2', { 'x-forwarded-for': '127.0.0.4' })).resolves.toEqual({
      status: 429,
      code: 'RATE_LIMITED',
    });
    await expect(readFrom('127.0.0.4')).resolves.toMatchObject({ status: 200 });
  });
});
