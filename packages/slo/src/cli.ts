#!/usr/bin/env node
import { readFile, realpath } from 'node:fs/promises';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MIN_PERIOD_DAYS } from './alert-windows.js';
import { parseDays } from './duration.js';
import { isInvalidSloInputError, isSloSpecError } from './errors.js';
import { generateRules, renderRules } from './rules.js';
import type { SloDefinition } from './slo-definition.js';
import { DEFAULT_PERIOD_DAYS, parseSpecs } from './specs.js';

export const USAGE = `Usage: steadfast-slo generate <spec.yaml>... [--period <days>d]

Reads Sloth (version: prometheus/v1) and OpenSLO (apiVersion: openslo/v1, kind: SLO) specs and prints
Prometheus recording and alerting rules on stdout.

  --period <n>d   period of Sloth SLOs, which carry none (default ${DEFAULT_PERIOD_DAYS}d); OpenSLO uses its timeWindow
`;

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

const EXIT_OK = 0;
const EXIT_FAILURE = 1;
const EXIT_USAGE = 2;

async function generate(args: readonly string[], io: CliIo): Promise<number> {
  const files: string[] = [];
  let periodDays = DEFAULT_PERIOD_DAYS;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--period' || arg.startsWith('--period=')) {
      const value = arg === '--period' ? args[++i] : arg.slice('--period='.length);
      const days = value === undefined ? undefined : parseDays(value);
      if (days === undefined || days < MIN_PERIOD_DAYS) {
        io.stderr(
          `steadfast-slo: --period must be whole days, at least ${MIN_PERIOD_DAYS}d, such as 28d or 30d; got ${value ?? 'nothing'}\n`,
        );
        return EXIT_USAGE;
      }
      periodDays = days;
    } else if (arg.startsWith('-')) {
      io.stderr(`steadfast-slo: unknown option ${arg}\n\n${USAGE}`);
      return EXIT_USAGE;
    } else {
      files.push(arg);
    }
  }
  if (files.length === 0) {
    io.stderr(`steadfast-slo: generate needs at least one spec file\n\n${USAGE}`);
    return EXIT_USAGE;
  }
  const slos: SloDefinition[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : String(error);
      io.stderr(`steadfast-slo: cannot read ${file}: ${reason}\n`);
      return EXIT_FAILURE;
    }
    slos.push(...parseSpecs(text, { periodDays, source: file }));
  }
  // Only the base names go into the header, so the output does not depend on where it was run from.
  io.stdout(
    renderRules(
      generateRules(slos),
      files.map((f) => basename(f)),
    ),
  );
  return EXIT_OK;
}

/** The whole CLI behind an exit code, so tests can run it without a child process. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const [command, ...args] = argv;
  try {
    switch (command) {
      case 'generate':
        return await generate(args, io);
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        (command === undefined ? io.stderr : io.stdout)(USAGE);
        return command === undefined ? EXIT_USAGE : EXIT_OK;
      default:
        io.stderr(`steadfast-slo: unknown command ${JSON.stringify(command)}\n\n${USAGE}`);
        return EXIT_USAGE;
    }
  } catch (error) {
    if (!isSloSpecError(error) && !isInvalidSloInputError(error)) throw error;
    io.stderr(`steadfast-slo: ${error.message}\n`);
    return EXIT_FAILURE;
  }
}

// npm links the bin, so compare real paths rather than the name it was started by.
const entry = process.argv[1];
if (entry !== undefined && (await realpath(entry).catch(() => entry)) === fileURLToPath(import.meta.url)) {
  process.exitCode = await runCli(process.argv.slice(2), {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
  });
}
