#!/usr/bin/env node
import { mkdir, readdir, readFile, realpath, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, extname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { type AlertWindowDefinition, MIN_PERIOD_DAYS } from './alert-windows.js';
import { parseAlertWindows } from './alert-windows-spec.js';
import { parseDays } from './duration.js';
import { isInvalidSloInputError, isSloSpecError, SloSpecError } from './errors.js';
import {
  type GenerateOptions,
  generateRules,
  type KubernetesObject,
  renderPrometheusRule,
  renderRules,
} from './rules.js';
import type { SloDefinition } from './slo-definition.js';
import { checkLabels } from './spec-validation.js';
import { DEFAULT_PERIOD_DAYS, parseSpecs } from './specs.js';

export const USAGE = `Usage: steadfast-slo generate <spec.yaml|dir>... [options]
       steadfast-slo generate -i <spec.yaml|dir> [-o <file|dir>] [options]
       steadfast-slo validate <spec.yaml|dir>... [--period <n>d] [--alert-windows <file>]

Reads Sloth (version: prometheus/v1; apiVersion: sloth.slok.dev/v1, kind: PrometheusServiceLevel) and
OpenSLO (apiVersion: openslo/v1 or openslo/v1alpha) specs and writes Prometheus recording and alerting
rules, to stdout unless -o says where. A directory is read for its *.yaml and *.yml files, recursively.

  -i, --input <path>          a spec file or directory (as many as needed; plain arguments do the same)
  -o, --out <path>            a file for all the rules, or, when it is a directory or an input is one, a
                              directory with one rule file per spec file at the same relative path
  -p, --period <n>d           period of Sloth SLOs, which carry none (default ${DEFAULT_PERIOD_DAYS}d); OpenSLO uses its timeWindow
  -w, --alert-windows <path>  Sloth AlertWindows specs (a file or directory), the alert tiers of their sloPeriod
      --output <format>       rules (default) or prometheus-operator, a PrometheusRule object
  -l, --extra-labels <k=v>    a label for every rule (repeatable)
      --disable-recordings    no recording rules (the alerts then need them from elsewhere)
      --disable-alerts        no alerting rules
      --keep-window-label     alerts keep the short window's sloth_window label, which Sloth's do not
      --window-annotations    alerts carry their windows, burn-rate threshold, objective and error ratio

validate parses every spec, query (with Prometheus' PromQL grammar) and window, prints one line per
problem and exits 1 if there is any.
`;

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

const EXIT_OK = 0;
const EXIT_FAILURE = 1;
const EXIT_USAGE = 2;
const OUTPUTS = ['rules', 'prometheus-operator'] as const;
const SPEC_EXTENSIONS = new Set(['.yaml', '.yml']);

class UsageError extends Error {}
class InputError extends Error {}

const OPTIONS = {
  input: { type: 'string', short: 'i', multiple: true },
  out: { type: 'string', short: 'o' },
  period: { type: 'string', short: 'p' },
  'alert-windows': { type: 'string', short: 'w', multiple: true },
  output: { type: 'string', default: 'rules' },
  'extra-labels': { type: 'string', short: 'l', multiple: true },
  'disable-recordings': { type: 'boolean' },
  'disable-alerts': { type: 'boolean' },
  'keep-window-label': { type: 'boolean' },
  'window-annotations': { type: 'boolean' },
} as const;

function parse(args: readonly string[]) {
  try {
    return parseArgs({ args: [...args], options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}
type Parsed = ReturnType<typeof parse>;

/** A spec file, with the path it has below the input it was found in (for directory output). */
interface SpecFile {
  path: string;
  relativePath: string;
}

async function specFiles(input: string): Promise<{ files: SpecFile[]; directory: boolean }> {
  const info = await stat(input).catch((error: NodeJS.ErrnoException) => {
    throw new InputError(`cannot read ${input}: ${error.code === 'ENOENT' ? 'no such file' : error.message}`);
  });
  if (!info.isDirectory())
    return { files: [{ path: input, relativePath: basename(input) }], directory: false };
  const entries = await readdir(input, { recursive: true, withFileTypes: true });
  const files = entries
    .filter((e) => e.isFile() && SPEC_EXTENSIONS.has(extname(e.name)))
    .map((e) => join(e.parentPath, e.name))
    .sort()
    .map((path) => ({ path, relativePath: relative(input, path) }));
  return { files, directory: true };
}

async function read(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : String(error);
    throw new InputError(`cannot read ${path}: ${reason}`);
  }
}

/** Writes a rule file, making its directory; a failure is the user's path, not a crash. */
async function write(path: string, text: string): Promise<void> {
  try {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, text);
  } catch (error) {
    throw new InputError(`cannot write ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
}

function periodOf(values: Parsed['values']): number {
  if (values.period === undefined) return DEFAULT_PERIOD_DAYS;
  const days = parseDays(values.period);
  if (days === undefined || days < MIN_PERIOD_DAYS) {
    throw new UsageError(
      `--period must be whole days, at least ${MIN_PERIOD_DAYS}d, such as 28d or 30d; got ${values.period}`,
    );
  }
  return days;
}

function extraLabels(values: Parsed['values']): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const pair of values['extra-labels'] ?? []) {
    const at = pair.indexOf('=');
    if (at <= 0) throw new UsageError(`--extra-labels must be name=value; got ${pair}`);
    labels[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return checkLabels(labels, '--extra-labels', undefined);
}

async function windowsOf(values: Parsed['values']): Promise<Map<number, AlertWindowDefinition<string>[]>> {
  const windows = new Map<number, AlertWindowDefinition<string>[]>();
  const paths = values['alert-windows'] ?? [];
  const files = (await Promise.all(paths.map(specFiles))).flatMap((found) => found.files.map((f) => f.path));
  for (const file of files) {
    for (const { periodDays, definitions } of parseAlertWindows(await read(file), file)) {
      if (windows.has(periodDays)) {
        throw new SloSpecError('spec.sloPeriod', `a second set of alert windows for ${periodDays}d`, file);
      }
      windows.set(periodDays, definitions);
    }
  }
  return windows;
}

interface Inputs {
  files: SpecFile[];
  directory: boolean;
}

async function inputsOf(parsed: Parsed): Promise<Inputs> {
  const paths = [...(parsed.values.input ?? []), ...parsed.positionals];
  if (paths.length === 0) throw new UsageError('needs at least one spec file or directory');
  const found = await Promise.all(paths.map(specFiles));
  const files = found.flatMap((f) => f.files);
  if (files.length === 0) throw new InputError(`no *.yaml or *.yml files in ${paths.join(', ')}`);
  return { files, directory: found.some((f) => f.directory) };
}

/** The file's name made DNS-safe: the PrometheusRule of SLOs that come from no Kubernetes object. */
function fileObject(file: string): KubernetesObject {
  const stem = basename(file, extname(file))
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return { name: stem === '' ? 'slos' : stem };
}

interface PlacedSlo {
  slo: SloDefinition;
  /** The PrometheusRule it goes into: its CRD's, as Sloth does, else its file's. */
  object: KubernetesObject;
}

async function generate(args: readonly string[], io: CliIo): Promise<number> {
  const parsed = parse(args);
  const { values } = parsed;
  const output = values.output as (typeof OUTPUTS)[number];
  if (!OUTPUTS.includes(output))
    throw new UsageError(`--output must be ${OUTPUTS.join(' or ')}; got ${output}`);
  const periodDays = periodOf(values);
  const options: GenerateOptions = {
    windows: await windowsOf(values),
    extraLabels: extraLabels(values),
    disableRecordings: values['disable-recordings'] === true,
    disableAlerts: values['disable-alerts'] === true,
    keepWindowLabel: values['keep-window-label'] === true,
    windowAnnotations: values['window-annotations'] === true,
  };
  const { files, directory } = await inputsOf(parsed);
  const perFile: { file: SpecFile; placed: PlacedSlo[] }[] = [];
  for (const file of files) {
    const slos = parseSpecs(await read(file.path), { periodDays, source: file.path });
    perFile.push({ file, placed: slos.map((slo) => ({ slo, object: slo.origin ?? fileObject(file.path) })) });
  }
  // Only base names go into headers, so the output does not depend on where it was run from.
  const render = (placed: PlacedSlo[], names: string[]): string => {
    if (output === 'rules')
      return renderRules(
        generateRules(
          placed.map((p) => p.slo),
          options,
        ),
        names,
      );
    const objects = new Map<string, PlacedSlo[]>();
    for (const p of placed) {
      const key = `${p.object.namespace ?? ''}/${p.object.name}`;
      objects.set(key, [...(objects.get(key) ?? []), p]);
    }
    return [...objects.values()]
      .map((group) =>
        renderPrometheusRule(
          generateRules(
            group.map((p) => p.slo),
            options,
          ),
          group[0]!.object,
          names,
        ),
      )
      .join('---\n');
  };
  const out = values.out;
  const toDirectory =
    out !== undefined &&
    (directory ||
      out.endsWith('/') ||
      (await stat(out).then(
        (s) => s.isDirectory(),
        () => false,
      )));
  if (toDirectory) {
    for (const { file, placed } of perFile) {
      await write(join(out, file.relativePath), render(placed, [basename(file.path)]));
    }
    return EXIT_OK;
  }
  const text = render(
    perFile.flatMap((f) => f.placed),
    files.map((f) => basename(f.path)),
  );
  if (out === undefined) io.stdout(text);
  else await write(out, text);
  return EXIT_OK;
}

async function validateCommand(args: readonly string[], io: CliIo): Promise<number> {
  const parsed = parse(args);
  const periodDays = periodOf(parsed.values);
  // Read for their own problems: windows longer than their period, a short window not shorter.
  await windowsOf(parsed.values);
  const { files } = await inputsOf(parsed);
  const lines: string[] = [];
  let count = 0;
  for (const { path } of files) {
    const problems: SloSpecError[] = [];
    count += parseSpecs(await read(path), { periodDays, source: path, problems }).length;
    lines.push(...problems.map((p) => p.message));
  }
  if (lines.length > 0) {
    io.stderr(lines.map((line) => `${line}\n`).join(''));
    return EXIT_FAILURE;
  }
  io.stdout(`${count} SLOs in ${files.length} files: no problems\n`);
  return EXIT_OK;
}

/** The whole CLI behind an exit code, so tests can run it without a child process. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const [command, ...args] = argv;
  try {
    switch (command) {
      case 'generate':
        return await generate(args, io);
      case 'validate':
        return await validateCommand(args, io);
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
    if (error instanceof UsageError) {
      io.stderr(`steadfast-slo: ${command}: ${error.message}\n\n${USAGE}`);
      return EXIT_USAGE;
    }
    if (!(error instanceof InputError) && !isSloSpecError(error) && !isInvalidSloInputError(error))
      throw error;
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
