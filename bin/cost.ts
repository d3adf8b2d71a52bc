#!/usr/bin/env node
/**
 * Monthly cost estimate, one table per target:
 *   npm run cost -- [-c targets=GovWest,Commercial] [-c statehouse=<json|file>]
 * Without `-c targets`, every default target. The configuration is the one
 * `cdk synth` reads (cdk.json, cdk.context.json, -c: lib/cli/context-args.ts):
 * a target's `neuron` endpoint is priced per instance-hour as its schedule
 * runs it; a target without one has no endpoint line (Bedrock is billed per
 * token and not estimated). Prices and assumptions: lib/cost/.
 */
import { loadKitContext, UsageError } from '../lib/cli/context-args';
import { ConfigError } from '../lib/config/load';
import { costInputsForTarget } from '../lib/cost/cost-inputs';
import { estimateMonthlyCost } from '../lib/cost/estimate';
import { formatCostEstimate } from '../lib/cost/format';
import { estimateRoundCost, formatRoundCost } from '../lib/cost/round-cost';

function main(): void {
  const { selected, rest } = loadKitContext(process.argv.slice(2));
  if (rest.length > 0) throw new UsageError(`unknown argument "${rest[0]}"; usage: npm run cost -- [-c targets=GovWest,Commercial] [-c statehouse=<json|file>]`);
  const tables = selected.map(([name, target]) => {
    const { input, notes } = costInputsForTarget(name, target);
    const title = `${name} (${target.region})`;
    return `${formatCostEstimate(title, estimateMonthlyCost(input), notes)}\n\n${formatRoundCost(title, estimateRoundCost(target))}`;
  });
  console.log(tables.join('\n\n'));
}

try {
  main();
} catch (e) {
  console.error(e instanceof ConfigError || e instanceof UsageError ? e.message : `Statehouse cost estimate FAILED: ${(e as Error).message}`);
  process.exitCode = 1;
}
