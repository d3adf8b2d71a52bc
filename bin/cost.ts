#!/usr/bin/env node
/**
 * Monthly cost estimate, one table per target:
 *   npx ts-node --transpile-only bin/cost.ts [-c targets=GovWest,Commercial] [-c statehouse=<json|file>]
 * Without `-c targets`, every default target. Prices and assumptions: lib/cost/.
 */
import { parseContextArgs } from '../lib/cli/context-args';
import { ConfigError, parseConfig, selectTargets } from '../lib/config/load';
import { costInputsForTarget } from '../lib/cost/cost-inputs';
import { estimateMonthlyCost } from '../lib/cost/estimate';
import { formatCostEstimate } from '../lib/cost/format';

function main(): void {
  const { targets, overrides } = parseContextArgs(process.argv.slice(2));
  const config = parseConfig(overrides);
  const tables = selectTargets(config, targets).map(([name, target]) => {
    const { input, notes } = costInputsForTarget(name, target);
    return formatCostEstimate(`${name} (${target.region})`, estimateMonthlyCost(input), notes);
  });
  console.log(tables.join('\n\n'));
}

try {
  main();
} catch (e) {
  console.error(e instanceof ConfigError ? e.message : `Statehouse cost estimate FAILED: ${(e as Error).message}`);
  process.exitCode = 1;
}
