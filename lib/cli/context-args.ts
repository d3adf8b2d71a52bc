import * as fs from 'node:fs';
import { ConfigError } from '../config/load';

/** The `statehouse` context value: overrides as JSON, or the path of a JSON file. */
export function parseOverrides(raw: unknown): unknown {
  if (typeof raw !== 'string') return raw ?? {};
  const text = raw.trim().startsWith('{') ? raw : fs.readFileSync(raw, 'utf8');
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new ConfigError([{ path: '-c statehouse', message: `is not valid JSON (${(e as Error).message}).` }]);
  }
}

/**
 * `-c key=value` arguments, read the way the CDK CLI reads them, for the
 * kit's own commands (preflight, cost, report): `targets` and `statehouse`
 * (overrides as JSON, or a path to a JSON file).
 */
export function parseContextArgs(argv: readonly string[]): { targets?: string; overrides: unknown } {
  const context: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = arg === '-c' || arg === '--context' ? argv[++i] : arg.startsWith('--context=') ? arg.slice('--context='.length) : undefined;
    if (value === undefined) continue;
    const eq = value.indexOf('=');
    if (eq <= 0) throw new Error(`context argument "${value}" must look like key=value`);
    context[value.slice(0, eq)] = value.slice(eq + 1);
  }
  return { targets: context.targets, overrides: parseOverrides(context.statehouse) };
}
