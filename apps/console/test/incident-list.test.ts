/// <reference lib="dom" />
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { api, type ConsoleInBrowser, openConsole } from './browser.js';

/** The page's page size (incidentQuery's default), and one page and a bit of incidents to need two. */
const PAGE_SIZE = 20;
const LOW_CHECKOUT = 22;

let opened: ConsoleInBrowser<'incidents-api'> | undefined;

beforeAll(async () => {
  opened = await openConsole(inject('postgresAdminUrl'), { 'incidents-api': {} });
  const incidents = opened.services['incidents-api'];
  const open = async (title: string, severity: string, services: string[], status?: string) => {
    const created = await api(incidents, '/v1/incidents', {
      method: 'POST',
      body: { title, severity, services },
    });
    expect(created.status).toBe(201);
    if (status) {
      const moved = await api(incidents, `/v1/incidents/${created.body.data.id}`, {
        method: 'PATCH',
        body: { status },
      });
      expect(moved.status).toBe(200);
    }
  };
  // Oldest first, so the newest-first list shows the payments ones on top.
  for (let i = 1; i <= LOW_CHECKOUT; i++) await open(`Checkout slow ${i}`, 'low', ['checkout']);
  await open('Checkout refunds failed', 'high', ['checkout'], 'resolved');
  await open('Payments declined', 'critical', ['payments']);
  await open('Payments timing out', 'critical', ['payments'], 'investigating');
}, 120_000);

afterAll(() => opened?.close(), 60_000);

describe('the incident list in a browser', () => {
  it('filters by status, severity and service, pages through a long list, and keeps the filters in its address', async () => {
    const { page, shot, url } = opened as ConsoleInBrowser<'incidents-api'>;
    const rows = page.locator('table.incidents tbody tr');
    const titles = () => rows.locator('td:first-child').allTextContents();
    const newer = page.getByRole('button', { name: '← Newer' });
    const older = page.getByRole('button', { name: 'Older →' });
    const filters = page.getByRole('form', { name: 'Filters' });
    const shows = async (expected: string[]) =>
      page.waitForFunction(
        (want) =>
          JSON.stringify(
            Array.from(document.querySelectorAll('table.incidents tbody tr td:first-child')).map(
              (cell) => cell.textContent,
            ),
          ) === want,
        JSON.stringify(expected),
      );

    await page.goto(`${url}/#/incidents`);
    await shows([
      'Payments timing out',
      'Payments declined',
      'Checkout refunds failed',
      ...Array.from({ length: PAGE_SIZE - 3 }, (_, i) => `Checkout slow ${LOW_CHECKOUT - i}`),
    ]);
    expect(await newer.isDisabled()).toBe(true);
    await older.click();
    await shows([
      'Checkout slow 5',
      'Checkout slow 4',
      'Checkout slow 3',
      'Checkout slow 2',
      'Checkout slow 1',
    ]);
    expect(await older.isDisabled()).toBe(true);
    await shot('incidents-page-2');
    await newer.click();
    await rows.first().getByText('Payments timing out').waitFor();
    expect(await titles()).toHaveLength(PAGE_SIZE);

    await filters.getByLabel('Status').selectOption('investigating');
    await shows(['Payments timing out']);
    expect(new URL(page.url()).hash).toBe('#/incidents?status=investigating');
    expect(await older.isDisabled()).toBe(true);

    await filters.getByLabel('Status').selectOption('');
    await filters.getByLabel('Severity').selectOption('critical');
    await shows(['Payments timing out', 'Payments declined']);
    await filters.getByLabel('Service').fill('checkout');
    await filters.getByLabel('Service').press('Enter');
    await page.getByText('No incidents match.').waitFor();
    expect(new URL(page.url()).hash).toBe('#/incidents?severity=critical&service=checkout');
    await filters.getByLabel('Severity').selectOption('high');
    await shows(['Checkout refunds failed']);
    await shot('incidents-filtered');

    // The address alone brings the filtered list back, paging included.
    await page.goto(`${url}/#/incidents?severity=low&service=checkout`);
    await page.reload();
    await shows(Array.from({ length: PAGE_SIZE }, (_, i) => `Checkout slow ${LOW_CHECKOUT - i}`));
    expect(await filters.getByLabel('Severity').inputValue()).toBe('low');
    expect(await filters.getByLabel('Service').inputValue()).toBe('checkout');
    await older.click();
    await shows(['Checkout slow 2', 'Checkout slow 1']);
    await newer.click();
    await shows(Array.from({ length: PAGE_SIZE }, (_, i) => `Checkout slow ${LOW_CHECKOUT - i}`));
  }, 90_000);
});
