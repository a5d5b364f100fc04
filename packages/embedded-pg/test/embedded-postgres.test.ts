import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readdirSync } from 'node:fs';
import { chmod, cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { startEmbeddedPostgres } from '../src/embedded-postgres.js';
import { firstClosedFolder, packagedBinaries, reachableCopy, serverAccount } from '../src/reachable.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/own-server.js', import.meta.url));
const asRoot = process.getuid?.() === 0;
const dirs: string[] = [];
async function tempDir(mode = 0o755) {
  const dir = await mkdtemp(join(tmpdir(), 'steadfast-embedded-'));
  await chmod(dir, mode);
  dirs.push(dir);
  return dir;
}
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

async function query(url: string, text: string) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text)).rows;
  } finally {
    await client.end();
  }
}

const running = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function postmasterPid(clusterDir: string): Promise<number> {
  return Number((await readFile(join(clusterDir, 'postmaster.pid'), 'utf8')).split('\n')[0]);
}

/** Waits (bounded) until `pid` has exited. */
async function exitOf(pid: number): Promise<boolean> {
  for (let tries = 0; tries < 200 && running(pid); tries++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return !running(pid);
}

describe('embedded PostgreSQL', () => {
  it('creates the database once and keeps its data across restarts', async () => {
    const dataDir = join(await tempDir(), 'svc');
    const first = await startEmbeddedPostgres({ dataDir, database: 'svc_db' });
    expect(first.url).toMatch(/^postgres:\/\/postgres:.+@127\.0\.0\.1:\d+\/svc_db$/);
    expect(first.clusterDir).toBe(join(dataDir, 'pg'));
    await query(first.url, "create table notes (body text); insert into notes values ('kept')");
    expect(await query(first.url, 'show server_encoding')).toEqual([{ server_encoding: 'UTF8' }]);
    await first.stop();

    const second = await startEmbeddedPostgres({ dataDir, database: 'svc_db' });
    try {
      expect(second.url.split('@')[0]).toBe(first.url.split('@')[0]);
      expect(await query(second.url, 'select body from notes')).toEqual([{ body: 'kept' }]);
    } finally {
      await second.stop();
    }
  });

  it('says why when the server cannot start, with its own log lines', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const { port } = taken.address() as { port: number };
    try {
      await expect(
        startEmbeddedPostgres({ dataDir: join(await tempDir(), 'svc'), database: 'x', port }),
      ).rejects.toThrow(/did not start[\s\S]*could not bind/);
    } finally {
      taken.close();
    }
  });
});

// Copying the binaries (60 MB) and two initdb runs take a while on a busy machine.
describe.runIf(asRoot)('as root, from folders the postgres user cannot enter', { timeout: 120_000 }, () => {
  it('keeps the cluster under the home folder, the same one on every start', async () => {
    const home = await tempDir();
    const locked = await tempDir(0o700);
    const dataDir = join(locked, 'svc');
    const first = await startEmbeddedPostgres({ dataDir, database: 'svc_db', home });
    expect(first.clusterDir.startsWith(join(home, 'clusters', 'svc-'))).toBe(true);
    await query(first.url, 'create table kept (x int)');
    await first.stop();
    const second = await startEmbeddedPostgres({ dataDir, database: 'svc_db', home });
    try {
      expect(second.clusterDir).toBe(first.clusterDir);
      expect(
        await query(second.url, "select tablename from pg_tables where tablename = 'kept'"),
      ).toHaveLength(1);
      expect(existsSync(join(dataDir, 'credentials'))).toBe(true);
    } finally {
      await second.stop();
    }
  });

  it('copies unreachable binaries once into the home folder, even when processes race', async () => {
    const installed = await packagedBinaries();
    const locked = await tempDir(0o700);
    const hidden = join(locked, 'native');
    await cp(installed.dir, hidden, { recursive: true, verbatimSymlinks: true });
    const home = await tempDir();
    const copies = await Promise.all(
      [1, 2, 3].map(() => reachableCopy({ dir: hidden, version: 'test-1' }, home)),
    );
    expect(new Set(copies)).toEqual(new Set([join(home, 'bin', 'test-1')]));
    expect(readdirSync(join(home, 'bin'))).toEqual(['test-1']);
    const account = await serverAccount();
    const { stdout } = await promisify(execFile)(
      join(copies[0] as string, 'bin', 'postgres'),
      ['--version'],
      {
        ...account,
      },
    );
    expect(stdout).toMatch(/PostgreSQL\) \d+/);
    // The installed binaries are used in place when the postgres user can reach them (not in a mode-700 checkout).
    const inPlace = (await firstClosedFolder(installed.dir)) === undefined;
    expect((await reachableCopy(installed, home)) === installed.dir).toBe(inPlace);
  });

  it('names the folder and the fix when the home folder itself cannot be reached', async () => {
    const locked = await tempDir(0o700);
    const dataDir = join(await tempDir(0o700), 'svc');
    await expect(
      startEmbeddedPostgres({ dataDir, database: 'x', home: join(locked, 'home') }),
    ).rejects.toThrow(/cannot enter .*steadfast-embedded-.*EMBEDDED_PG_HOME/);
  });
});

describe('the server process', () => {
  async function startFixture(): Promise<{ child: ChildProcess; output: () => string; clusterDir: string }> {
    // Its own process group, like a job a terminal runs in the foreground.
    const child = spawn(process.execPath, [FIXTURE], {
      env: { PATH: process.env.PATH ?? '', DATA_DIR: join(await tempDir(), 'svc') },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let output = '';
    child.stderr?.on('data', (chunk) => {
      output += chunk;
    });
    const clusterDir = await new Promise<string>((resolve, reject) => {
      child.stdout?.on('data', (chunk) => {
        output += chunk;
        const match = /"clusterDir":"([^"]+)"/.exec(output);
        if (match?.[1]) resolve(match[1]);
      });
      child.once('exit', (code) => reject(new Error(`fixture exited ${code}:\n${output}`)));
    });
    return { child, output: () => output, clusterDir };
  }

  it('is out of reach of a Ctrl-C to the terminal, and stopped by its owner afterwards', async () => {
    const { child, output, clusterDir } = await startFixture();
    const postmaster = await postmasterPid(clusterDir);
    const exited = once(child, 'exit');
    process.kill(-(child.pid as number), 'SIGINT');
    const [code] = await exited;
    expect(output()).toContain('"after":"SIGINT","alive":true');
    expect(code).toBe(0);
    expect(running(postmaster)).toBe(false);
  });

  it('stops when its owner is killed outright, so none is orphaned', async () => {
    const { child, clusterDir } = await startFixture();
    const postmaster = await postmasterPid(clusterDir);
    expect(running(postmaster)).toBe(true);
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited;
    expect(await exitOf(postmaster)).toBe(true);
  });
});
