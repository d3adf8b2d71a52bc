import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ConfigError, parseConfig, selectTargets } from '../config/load';
import type { StatehouseConfig, TargetConfig } from '../config/schema';

/**
 * CDK context for the kit's own commands (preflight, report, cost,
 * deploy:local, bench:synth), assembled exactly as the CDK CLI assembles it
 * for `cdk synth`, so a command sees the configuration synth sees.
 *
 * The CLI's sources (docs.aws.amazon.com/cdk/v2/guide/context.html, "Context
 * sources"), deep-merged, later winning (aws/aws-cdk-cli
 * packages/aws-cdk/lib/cli/user-configuration.ts `loadConfigFiles` and
 * packages/@aws-cdk/toolkit-lib/lib/api/context.ts `Context.all`):
 *   1. `context` of ~/.cdk.json
 *   2. cdk.context.json of the project directory
 *   3. `context` of the project's cdk.json
 *   4. `-c key=value` / `--context key=value` (always strings)
 * So cdk.json wins over cdk.context.json, and the command line over both.
 * test/lib/cli/context-args.test.ts holds this against the real CLI.
 */

/** Context keys the app and the kit's commands read. */
export const CONTEXT_CONFIG = 'statehouse';
export const CONTEXT_TARGETS = 'targets';

/** Where the CLI looks for context files. */
export interface ContextFiles {
  /** The directory holding cdk.json (the CLI reads it from the directory it runs in). @default process.cwd() */
  readonly projectDir?: string;
  /** Home of ~/.cdk.json. @default os.homedir() */
  readonly homeDir?: string;
}

/** A command line the kit cannot use: its message says what to type instead. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

type Context = Record<string, unknown>;

function isPlainObject(value: unknown): value is Context {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The CLI's merge of two context bags: objects merge key by key, anything else in `over` replaces. */
function deepMerge(base: Context, over: Context): Context {
  const out: Context = { ...base };
  for (const [key, value] of Object.entries(over)) {
    if (value === undefined) continue;
    out[key] = isPlainObject(value) && isPlainObject(out[key]) ? deepMerge(out[key] as Context, value) : value;
  }
  return out;
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new UsageError(`${file} is not valid JSON (${(e as Error).message}); fix it, as \`cdk synth\` would refuse it too.`);
  }
}

/** The `context` object of a cdk.json-shaped file, or the whole of cdk.context.json; {} when the file is absent. */
function contextOf(file: string, key?: 'context'): Context {
  if (!fs.existsSync(file)) return {};
  const json = readJson(file);
  const context = key === undefined ? json : isPlainObject(json) ? json[key] : undefined;
  return isPlainObject(context) ? context : {};
}

/**
 * The `-c key=value` and `--context key=value` (or `--context=key=value`)
 * arguments, as the CLI reads them: the key ends at the first `=`; keys
 * starting `aws:` are reserved. Everything else is left for the command.
 */
function commandLineContext(argv: readonly string[]): { context: Record<string, string>; rest: string[] } {
  const context: Record<string, string> = {};
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    let assignment: string;
    if (arg === '-c' || arg === '--context') assignment = argv[++i] ?? '';
    else if (arg.startsWith('--context=')) assignment = arg.slice('--context='.length);
    else {
      rest.push(arg);
      continue;
    }
    const eq = assignment.indexOf('=');
    if (eq <= 0) throw new UsageError(`context argument "${assignment}" must look like key=value, e.g. -c targets=GovWest`);
    const key = assignment.slice(0, eq);
    if (key.startsWith('aws:')) throw new UsageError(`context key "${key}": keys starting "aws:" are reserved for the CDK; use another name.`);
    context[key] = assignment.slice(eq + 1);
  }
  return { context, rest };
}

/** Every context value `cdk synth` would hand the app, and the arguments that were not context. */
export function readContext(argv: readonly string[], files: ContextFiles = {}): { context: Context; rest: string[] } {
  const projectDir = files.projectDir ?? process.cwd();
  const cdkJson = path.join(projectDir, 'cdk.json');
  if (!fs.existsSync(cdkJson)) {
    throw new UsageError(`no cdk.json in ${projectDir}: run the kit's commands from the project directory (npm run does), as \`cdk synth\` runs.`);
  }
  const fromCommandLine = commandLineContext(argv);
  const bags = [
    contextOf(path.join(files.homeDir ?? os.homedir(), '.cdk.json'), 'context'),
    contextOf(path.join(projectDir, 'cdk.context.json')),
    contextOf(cdkJson, 'context'),
    fromCommandLine.context,
  ];
  return { context: bags.reduce(deepMerge, {}), rest: fromCommandLine.rest };
}

/** The `statehouse` context value: overrides as JSON, or the path of a JSON file, or (from a file) an object. */
export function parseOverrides(raw: unknown): unknown {
  if (typeof raw !== 'string') return raw ?? {};
  const text = raw.trim().startsWith('{') ? raw : fs.readFileSync(raw, 'utf8');
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new ConfigError([{ path: '-c statehouse', message: `is not valid JSON (${(e as Error).message}).` }]);
  }
}

/** The `targets` context value: "GovWest,GovEast" on the command line, or a list of names in a file. */
export function parseTargets(raw: unknown): string | undefined {
  if (raw === undefined || typeof raw === 'string') return raw;
  if (Array.isArray(raw) && raw.every((t) => typeof t === 'string')) return raw.join(',');
  throw new ConfigError([{ path: 'targets (context)', message: `must be target names, "GovWest,GovEast" or ["GovWest", "GovEast"]; got ${JSON.stringify(raw)}.` }]);
}

/** The kit's two context values, read one way by the app (`app.node.tryGetContext`) and by every kit command. */
export function statehouseContext(get: (key: string) => unknown): { targets?: string; overrides: unknown } {
  return { targets: parseTargets(get(CONTEXT_TARGETS)), overrides: parseOverrides(get(CONTEXT_CONFIG)) };
}

/** What a kit command starts from: synth's context, the validated configuration and the selected targets. */
export interface KitContext {
  /** Every context value, feature flags included, as `cdk synth` hands them to the app. */
  readonly context: Context;
  /** The `targets` value as given (undefined: the targets marked `default`). */
  readonly targets?: string;
  readonly overrides: unknown;
  readonly config: StatehouseConfig;
  /** `-c targets=` in order, or every default target. An unknown name is a ConfigError. */
  readonly selected: Array<[string, TargetConfig]>;
  /** The arguments that were not context, for the command's own flags. */
  readonly rest: string[];
}

/** The one loader of every kit command: context, configuration and targets, as `cdk synth` would read them. */
export function loadKitContext(argv: readonly string[], files: ContextFiles = {}): KitContext {
  const { context, rest } = readContext(argv, files);
  const { targets, overrides } = statehouseContext((key) => context[key]);
  const config = parseConfig(overrides);
  return { context, targets, overrides, config, selected: selectTargets(config, targets), rest };
}

/** The context values alone, for deploy:local (which hands them to the real `cdk deploy`). */
export function parseContextArgs(argv: readonly string[]): { targets?: string; overrides: unknown } {
  const { context } = readContext(argv);
  return statehouseContext((key) => context[key]);
}
