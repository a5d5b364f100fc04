/// <reference lib="dom" />
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { api, type ConsoleInBrowser, openConsole } from './browser.js';
import { CHAOS_TOKEN, type RunningService } from './stack.js';

let users: RunningService;
let incidents: RunningService;
let consoleUrl: string;
let page: Page;
let shot: ConsoleInBrowser['shot'];
let opened: ConsoleInBrowser<'users-api' | 'incidents-api'> | undefined;

beforeAll(async () => {
  opened = await openConsole(inject('postgresAdminUrl'), { 'users-api': {}, 'incidents-api': {} });
  ({ url: consoleUrl, page, shot } = opened);
  ({ 'users-api': users, 'incidents-api': incidents } = opened.services);
}, 120_000);

afterAll(() => opened?.close(), 60_000);

describe('the console in a browser', () => {
  it('shows both services ready with their SLOs', async () => {
    await page.goto(consoleUrl);
    for (const name of ['users-api', 'incidents-api']) {
      const section = page.locator(`section[data-service="${name}"]`);
      await section.getByText('ready', { exact: true }).waitFor();
      await section.locator('[data-slo="requests-availability"]').waitFor();
    }
    await page.getByText('No active incidents.').waitFor();
    await shot('overview');
  }, 60_000);

  it('shows an incident created through the API without a reload', async () => {
    await page.getByText('live', { exact: true }).waitFor();
    const created = await api(incidents, '/v1/incidents', {
      method: 'POST',
      body: { title: 'Checkout is failing', severity: 'critical' },
    });
    expect(created.status).toBe(201);
    const row = page.locator(`tr[data-incident="${created.body.data.id}"]`);
    await row.getByText('Checkout is failing').waitFor();
    await expect(row.textContent()).resolves.toContain('P1 critical');
    await shot('overview-incident');
  }, 60_000);

  it('moves the incident through its lifecycle with the buttons, with only the legal ones offered', async () => {
    await page.getByRole('link', { name: 'Checkout is failing' }).click();
    await page.getByRole('heading', { name: 'Checkout is failing', exact: true }).waitFor();
    const buttons = page.locator('.actions button');
    await expect(buttons.allTextContents()).resolves.toEqual([
      'investigating',
      'identified',
      'monitoring',
      'resolved',
    ]);
    for (const [status, next] of [
      ['investigating', ['identified', 'monitoring', 'resolved']],
      ['identified', ['monitoring', 'resolved']],
      ['monitoring', ['resolved']],
    ] as const) {
      await page.locator(`button[data-status="${status}"]`).click();
      await page.locator('.badge', { hasText: status }).first().waitFor();
      await page.waitForFunction(
        (expected) =>
          JSON.stringify(
            Array.from(document.querySelectorAll('.actions button')).map((b) => b.textContent),
          ) === expected,
        JSON.stringify(next),
      );
    }
    await page.getByRole('textbox', { name: 'Note' }).fill('Rolled back the payment gateway');
    await page.getByRole('button', { name: 'Add note' }).click();
    await page.locator('.timeline').getByText('Rolled back the payment gateway').waitFor();
    await page.locator('.postmortem h1, .postmortem h2').first().waitFor();
    await shot('incident');
  }, 60_000);

  it('refuses a stale edit with a clear conflict message', async () => {
    const id = page.url().split('/').pop() as string;
    // Another person edits the incident behind this page's back.
    const current = await api(incidents, `/v1/incidents/${id}`);
    const theirs = await api(incidents, `/v1/incidents/${id}`, {
      method: 'PATCH',
      body: { severity: 'low' },
      ifMatch: current.etag as string,
    });
    expect(theirs.status).toBe(200);
    await page.getByText('Someone else changed this incident (now version').waitFor();
    await page.locator('button[data-status="resolved"]').click();
    await page
      .getByRole('alert')
      .getByText('Someone else changed this incident after you opened it')
      .waitFor();
    await shot('incident-conflict');
    // The page now shows their version; the same button works on it.
    await page.getByText(`version ${theirs.body.data.version}`).waitFor();
    await page.locator('button[data-status="resolved"]').click();
    await page.locator('button[data-status="investigating"]').waitFor();
    expect((await api(incidents, `/v1/incidents/${id}`)).body.data).toMatchObject({
      status: 'resolved',
      severity: 'low',
    });
  }, 60_000);

  it('starts a fault with the form and removes it with the kill switch', async () => {
    await page.goto(`${consoleUrl}/#/chaos/incidents-api`);
    await page.getByText('Type the admin token').waitFor();
    await page.getByLabel('Admin token').fill(CHAOS_TOKEN);
    await page.getByText('No active faults.').waitFor();
    await page.getByLabel('Kind').selectOption('latency');
    await page.getByLabel('Route').fill('/v1/services*');
    await page.getByLabel('Latency ms').fill('50');
    await page.getByRole('button', { name: 'Start fault' }).click();
    await page.locator('tr[data-fault]').getByText('/v1/services*').waitFor();
    await shot('chaos');
    await page.getByRole('button', { name: /Kill switch/ }).click();
    await page.getByText('No active faults.').waitFor();
    await page.locator('.timeline').getByText('killed').first().waitFor();
    const status = await api(incidents, '/admin/chaos/status', { token: CHAOS_TOKEN });
    expect(status.body.data.faults).toEqual([]);
  }, 60_000);

  it('turns a burning SLO red', async () => {
    const fault = await api(users, '/admin/chaos/faults', {
      method: 'POST',
      token: CHAOS_TOKEN,
      body: {
        kind: 'error',
        target: { route: '/v1/users*' },
        probability: 1,
        status: 503,
        durationSeconds: 60,
      },
    });
    expect(fault.status).toBe(201);
    for (let i = 0; i < 20; i++) await fetch(`${users.url}/v1/users`);
    await page.goto(consoleUrl);
    const card = page.locator('section[data-service="users-api"] [data-slo="requests-availability"]');
    await card.and(page.locator('[data-tone="bad"]')).waitFor();
    await card.getByText('page-fast').waitFor();
    await shot('overview-burning');
    await card.getByRole('link').click();
    await page.locator('.chart canvas').waitFor();
    await page.getByText('page-fast 14.4× (1h/5m)').first().waitFor();
    await shot('slo');
  }, 60_000);

  it('stays readable at phone width', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(consoleUrl);
    await page.locator('section[data-service="users-api"] [data-slo]').first().waitFor();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await shot('overview-phone');
    // Every control is reachable from the keyboard, the pages' links first.
    const focused = () => page.evaluate(() => document.activeElement?.textContent);
    await page.keyboard.press('Tab');
    expect(await focused()).toBe('Overview');
    await page.keyboard.press('Tab');
    expect(await focused()).toBe('Incidents');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Incidents' }).waitFor();
    await shot('incidents-phone');
  }, 60_000);
});
