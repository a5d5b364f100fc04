import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { launchTargets } from '../src/launcher.js';

// Runs against the built kit (turbo builds a package before its tests).
const CLI = fileURLToPath(new URL('../dist/launcher-cli.js', import.meta.url));
const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/launch/${name}`, import.meta.url));
const [ALPHA, BETA, CRASHING] = ['alpha', 'beta', 'crashing'].map(fixture) as [string, string, string];

function run(args: string[], { inTerminal }: { inTerminal: boolean }) {
  const command = inTerminal
    ? // `script` gives the launcher a pseudo-terminal, as a shell does; what the test writes is typed into it.
      spawn('script', ['-qec', [process.execPath, CLI, ...args].join(' '), '/dev/null'], {
        stdio: ['pipe', 'pipe', 'pipe'],
      })
    : spawn(process.execPath, [CLI, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  let output = '';
  command.stdout.on('data', (chunk) => {
    output += chunk;
  });
  command.stderr.on('data', (chunk) => {
    output += chunk;
  });
  const until = async (text: string) => {
    for (let tries = 0; tries < 300 && !output.includes(text); tries++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(output).toContain(text);
  };
  return { command, output: () => output, until, exited: once(command, 'exit') };
}

describe('launchTargets', () => {
  it('takes the folders with a start script, named after their package', () => {
    expect(launchTargets([ALPHA, fixture('.'), fixture('missing')])).toEqual([
      { name: 'alpha', dir: ALPHA, command: 'node ../service.js alpha' },
    ]);
  });
});

describe('the launcher (pnpm start)', () => {
  it('in a terminal: readable lines per service, and one Ctrl-C drains them all and exits 0', async () => {
    const launcher = run([ALPHA, BETA], { inTerminal: true });
    await launcher.until('alpha is up: http://127.0.0.1:1');
    await launcher.until('beta is up: http://127.0.0.1:1');
    launcher.command.stdin.write('\x03');
    const [code] = await launcher.exited;
    expect(code).toBe(0);
    const output = launcher.output();
    expect(output).toMatch(/alpha.*│.*INFO.*drained/);
    expect(output).toMatch(/beta.*│.*INFO.*drained/);
    expect(output).not.toContain('"level"');
    // Each service got exactly one signal: Ctrl-C reached the launcher only, not the whole terminal group.
    expect(output).not.toContain('signalled twice');
    expect(output).toContain('every service stopped cleanly');
  }, 30_000);

  it('without a terminal: the JSON lines untouched, and SIGTERM stops them all with exit 0', async () => {
    const launcher = run([ALPHA, BETA], { inTerminal: false });
    await launcher.until('"msg":"alpha listening on http://127.0.0.1:1"');
    await launcher.until('"msg":"beta listening on http://127.0.0.1:1"');
    launcher.command.kill('SIGTERM');
    const [code] = await launcher.exited;
    expect(code).toBe(0);
    const lines = launcher
      .output()
      .split('\n')
      .filter((line) => line.startsWith('{'));
    expect(lines.map((line) => (JSON.parse(line) as { msg: string }).msg)).toContain('drained');
  }, 30_000);

  it('stops them all when the process that started it ends without passing a signal on (as pnpm does on SIGTERM)', async () => {
    // A shell stands in for pnpm: it starts the launcher and is then killed, so the launcher is left orphaned.
    const parent = spawn('/bin/sh', ['-c', `"${process.execPath}" "${CLI}" "${ALPHA}" "${BETA}" & wait`], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    for (const stream of [parent.stdout, parent.stderr]) stream.on('data', (chunk) => (output += chunk));
    const until = async (text: string) => {
      for (let tries = 0; tries < 300 && !output.includes(text); tries++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(output).toContain(text);
    };
    await until('"msg":"alpha listening on http://127.0.0.1:1"');
    await until('"msg":"beta listening on http://127.0.0.1:1"');
    parent.kill('SIGKILL');
    await until('every service stopped cleanly');
    expect(output).toContain('the process that started the services is gone');
    expect(output).toContain('"service":"alpha","msg":"drained"');
    expect(output).toContain('"service":"beta","msg":"drained"');
  }, 30_000);

  it('stops the others and exits 1 when a service exits by itself', async () => {
    const launcher = run([ALPHA, CRASHING], { inTerminal: false });
    const [code] = await launcher.exited;
    expect(code).toBe(1);
    expect(launcher.output()).toContain('crashing exited with code 1');
    expect(launcher.output()).toContain('"service":"alpha","msg":"drained"');
  }, 30_000);

  it('counts a service stopped while it was still starting as stopped cleanly', async () => {
    const launcher = run([ALPHA], { inTerminal: false });
    await launcher.until('starting alpha');
    launcher.command.kill('SIGTERM');
    const [code] = await launcher.exited;
    expect(code).toBe(0);
  });

  it('exits 1 when there is nothing to start', async () => {
    const launcher = run([fixture('missing')], { inTerminal: false });
    const [code] = await launcher.exited;
    expect(code).toBe(1);
    expect(launcher.output()).toContain('nothing to start');
  });
});
