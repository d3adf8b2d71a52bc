import * as fs from 'node:fs';

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
  const raw = context.statehouse;
  const overrides = raw === undefined ? {} : JSON.parse(raw.trim().startsWith('{') ? raw : fs.readFileSync(raw, 'utf8'));
  return { targets: context.targets, overrides };
}
