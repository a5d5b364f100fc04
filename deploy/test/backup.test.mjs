// The backup CronJob: pg_dump of the server's major version, every service database it should dump, and the
// retention script run for real on a folder of dated dumps.
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { embeddedPostgresMajor, kubernetesObjects, read } from './repo.mjs';

const sh = promisify(execFile);
const objects = kubernetesObjects().map(({ object }) => object);
const cronJob = objects.find((o) => o.kind === 'CronJob' && o.metadata.name === 'db-backup');
const scripts = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'db-backup-scripts');
const pod = cronJob.spec.jobTemplate.spec.template.spec;
const [container] = pod.containers;
const env = Object.fromEntries(container.env.map((e) => [e.name, e.value]));

describe('the backup CronJob', () => {
  it("runs the official postgres image's pg_dump of the server's major, the one compose and the tests run", () => {
    const major = embeddedPostgresMajor();
    expect(container.image).toBe(`postgres:${major}`);
    expect(parse(read('compose.yaml')).services.postgres.image).toBe(`postgres:${major}`);
  });

  it('never overlaps itself and keeps a week of dumps', () => {
    expect(cronJob.spec.concurrencyPolicy).toBe('Forbid');
    expect(env).toMatchObject({ BACKUP_KEEP: '7', BACKUP_MAX_AGE_DAYS: '7' });
    expect(container.command).toEqual(['sh', '/scripts/backup.sh']);
  });

  it("dumps every service's database: one mounted URL per Deployment's DATABASE_URL secret", () => {
    const databaseSecrets = objects
      .filter((o) => o.kind === 'Deployment')
      .map((deployment) => {
        const [app] = deployment.spec.template.spec.containers;
        const { secretKeyRef } = app.env.find((e) => e.name === 'DATABASE_URL').valueFrom;
        return { service: deployment.metadata.name, secret: secretKeyRef.name, key: secretKeyRef.key };
      });
    const mounted = container.volumeMounts
      .filter((mount) => mount.mountPath.startsWith('/secrets/'))
      .map((mount) => {
        const { secret } = pod.volumes.find((v) => v.name === mount.name);
        expect(secret.items).toEqual([{ key: secret.items[0].key, path: 'url' }]);
        return {
          service: mount.mountPath.slice('/secrets/'.length),
          secret: secret.secretName,
          key: secret.items[0].key,
        };
      });
    expect(mounted.sort((a, b) => a.service.localeCompare(b.service))).toEqual(
      databaseSecrets.sort((a, b) => a.service.localeCompare(b.service)),
    );
  });

  it.each(['backup.sh', 'prune.sh'])('%s is valid POSIX shell', async (name) => {
    await expect(sh('sh', ['-n', '-c', scripts.data[name]])).resolves.toBeDefined();
  });
});

describe('prune.sh', () => {
  const DAY_S = 86_400;
  let dir;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'deploy-prune-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** A dump (and its checksum) named and dated `daysAgo` days back. */
  function dump(daysAgo) {
    const stamp = new Date(Date.now() - daysAgo * DAY_S * 1000).toISOString().replace(/[-:]|\.\d+/g, '');
    const name = `users-api-${stamp}.dump`;
    for (const file of [name, `${name}.sha256`]) {
      writeFileSync(join(dir, file), 'x');
      const at = Date.now() / 1000 - daysAgo * DAY_S;
      utimesSync(join(dir, file), at, at);
    }
    return name;
  }
  const prune = (vars) =>
    sh('sh', ['-c', scripts.data['prune.sh'], 'prune.sh', dir], { env: { PATH: process.env.PATH, ...vars } });
  const left = () => readdirSync(dir).sort();

  it('keeps the BACKUP_KEEP newest, each with its checksum', async () => {
    const names = [0, 1, 2, 3, 4].map(dump);
    await prune({ BACKUP_KEEP: '3', BACKUP_MAX_AGE_DAYS: '30' });
    expect(left()).toEqual(
      names
        .slice(0, 3)
        .flatMap((n) => [n, `${n}.sha256`])
        .sort(),
    );
  });

  it('drops dumps older than BACKUP_MAX_AGE_DAYS even when fewer than BACKUP_KEEP', async () => {
    const names = [0.5, 2, 8, 9].map(dump);
    const { stdout } = await prune({ BACKUP_KEEP: '7', BACKUP_MAX_AGE_DAYS: '7' });
    expect(left()).toEqual(
      names
        .slice(0, 2)
        .flatMap((n) => [n, `${n}.sha256`])
        .sort(),
    );
    expect(stdout).toContain(`removed ${join(dir, names[2])}`);
  });

  it('always keeps the newest dump, however old', async () => {
    const names = [20, 30].map(dump);
    await prune({ BACKUP_KEEP: '7', BACKUP_MAX_AGE_DAYS: '7' });
    expect(left()).toEqual([names[0], `${names[0]}.sha256`]);
  });

  it('does nothing in an empty folder', async () => {
    await prune({});
    expect(left()).toEqual([]);
  });
});
