import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { prettyFactory } from 'pino-pretty';

/** One service to run: its folder and its package's `start` script, one command (it is run with `exec`). */
export interface LaunchTarget {
  name: string;
  dir: string;
  command: string;
}

/** The folders among `dirs` whose package.json has a `start` script, named after the package. */
export function launchTargets(dirs: readonly string[]): LaunchTarget[] {
  return dirs.flatMap((dir) => {
    let manifest: { name?: string; scripts?: Record<string, string> };
    try {
      manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    } catch {
      return [];
    }
    const command = manifest.scripts?.start;
    if (!command) return [];
    return [{ name: (manifest.name ?? basename(dir)).replace(/^@[^/]+\//, ''), dir: resolve(dir), command }];
  });
}

export interface LaunchIo {
  stdin: NodeJS.ReadStream | NodeJS.ReadableStream;
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
  /**
   * The process that started the launcher (pnpm). When it is gone, the services are stopped as on SIGTERM:
   * pnpm ends on SIGTERM without passing it on, which would leave every service running.
   */
  parentPid?: number;
}

const PARENT_CHECK_MS = 500;

const CTRL_C = 0x03;
const COLOURS = [35, 32, 36, 33, 34, 31];

/**
 * Runs every target as a process group of its own and prints their output: readable lines with the service's
 * name on a terminal, their JSON untouched otherwise. Ctrl-C (read from a terminal in raw mode, so it reaches
 * no other process: not pnpm, not the services twice), SIGINT or SIGTERM stops them all with one SIGTERM each,
 * then waits for their drain; a second Ctrl-C kills them. Resolves with 0 when every service stopped cleanly on
 * request, 1 when one failed or exited by itself (the others are then stopped too). With `parentPid`, the
 * services are also stopped when that process is gone.
 */
export function launch(targets: readonly LaunchTarget[], io: LaunchIo): Promise<number> {
  const terminal = io.stdout.isTTY === true;
  const pretty = prettyFactory({
    colorize: terminal,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname,service',
    singleLine: true,
  });
  const width = Math.max(...targets.map((target) => target.name.length));
  const label = (name: string, index: number) => {
    const padded = name.padEnd(width);
    return terminal ? `\x1b[${COLOURS[index % COLOURS.length]}m${padded}\x1b[0m │ ` : `${padded} │ `;
  };
  const say = (line: string) => io.stdout.write(`${terminal ? `\x1b[1m${line}\x1b[0m` : line}\n`);

  let stopping = false;
  let failed = false;
  const children = new Map<LaunchTarget, ChildProcess>();
  const signalAll = (signal: NodeJS.Signals) => {
    for (const child of children.values()) {
      if (child.exitCode === null && child.signalCode === null && child.pid) {
        try {
          process.kill(-child.pid, signal);
        } catch {
          // Already gone.
        }
      }
    }
  };
  const stop = () => {
    if (stopping) {
      say('stopping now (killed)');
      signalAll('SIGKILL');
      return;
    }
    stopping = true;
    say('stopping every service (Ctrl-C again to kill them)');
    signalAll('SIGTERM');
  };

  const stdin = io.stdin as NodeJS.ReadStream;
  const raw = stdin.isTTY === true && typeof stdin.setRawMode === 'function';
  const onKey = (chunk: Buffer) => {
    if (chunk.includes(CTRL_C)) stop();
  };
  if (raw) {
    stdin.setRawMode(true);
    stdin.on('data', onKey);
  }
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  for (const signal of signals) process.on(signal, stop);
  const parentWatch =
    io.parentPid === undefined
      ? undefined
      : setInterval(() => {
          if (process.ppid !== io.parentPid && !stopping) {
            say('the process that started the services is gone');
            stop();
          }
        }, PARENT_CHECK_MS);

  const exits = targets.map(
    (target, index) =>
      new Promise<void>((resolveExit) => {
        // `exec`: the service replaces the shell, so it is the process that gets the signal and whose exit counts.
        const child = spawn('/bin/sh', ['-c', `exec ${target.command}`], {
          cwd: target.dir,
          env: io.env,
          stdio: ['ignore', 'pipe', 'pipe'],
          detached: true,
        });
        children.set(target, child);
        const prefix = label(target.name, index);
        for (const stream of [child.stdout, child.stderr]) {
          createInterface({ input: stream }).on('line', (line) => {
            if (!terminal && line.startsWith('{')) {
              io.stdout.write(`${line}\n`);
              return;
            }
            let record: { address?: unknown; msg?: unknown } | undefined;
            try {
              record = line.startsWith('{') ? JSON.parse(line) : undefined;
            } catch {
              record = undefined;
            }
            io.stdout.write(`${prefix}${record ? pretty(record).trimEnd() : line}\n`);
            if (record && typeof record.address === 'string' && /listening/.test(String(record.msg))) {
              say(`${target.name} is up: ${record.address}`);
            }
          });
        }
        child.once('error', (error) => {
          say(`${target.name} could not start: ${error.message}`);
          failed = true;
          resolveExit();
        });
        child.once('exit', (code, signal) => {
          // A service stopped before it could handle the signal (still starting) stopped cleanly too.
          const clean = code === 0 || (signal === 'SIGTERM' && code === null);
          if (!stopping || !clean) {
            failed = true;
            say(`${target.name} exited ${signal ? `on ${signal}` : `with code ${code}`}`);
          }
          if (!stopping) stop();
          resolveExit();
        });
      }),
  );
  if (targets.length === 0) {
    say('nothing to start: no package with a start script');
    failed = true;
  } else {
    say(`starting ${targets.map((target) => target.name).join(', ')}; Ctrl-C stops them all`);
  }

  return Promise.all(exits).then(() => {
    for (const signal of signals) process.off(signal, stop);
    clearInterval(parentWatch);
    if (raw) {
      stdin.off('data', onKey);
      stdin.setRawMode(false);
      stdin.pause();
    }
    if (!failed) say('every service stopped cleanly');
    return failed ? 1 : 0;
  });
}
