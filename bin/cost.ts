#!/usr/bin/env node
/**
 * What each target costs, one report per target:
 *   npm run cost -- [-c targets=GovWest,Commercial] [-c statehouse=<json|file>] [-o <cdk.out dir>]
 * Without `-c targets`, every default target. The configuration is the one
 * `cdk synth` reads (cdk.json, cdk.context.json, -c: lib/cli/context-args.ts);
 * the templates are synthesized from it (or read from `-o`, an assembly
 * synthesized with that configuration), and every resource in them is
 * priced, listed as free, or listed as UNPRICED: the fixed monthly cost.
 * Then the cost of one turn, one background round and one delegated call,
 * and the month's usage at the estimate's turns. Prices and assumptions: lib/cost/.
 */
import { loadKitContext, UsageError } from '../lib/cli/context-args';
import { ConfigError } from '../lib/config/load';
import { costInputsForTarget } from '../lib/cost/cost-inputs';
import { estimateMonthlyCost } from '../lib/cost/estimate';
import { formatCostEstimate, formatCostSummary, formatResourceCosts, formatUnitCost } from '../lib/cost/format';
import { resourceCostTable } from '../lib/cost/resource-cost';
import { backgroundRoundCost, delegatedCallCost, turnCost } from '../lib/cost/unit-cost';
import { loadAssembly } from '../lib/report/load-assembly';
import { synthToTempDir } from './synth-assembly';

const USAGE = 'usage: npm run cost -- [-c targets=GovWest,Commercial] [-c statehouse=<json|file>] [-o <cdk.out dir>]';

/** What is left after the context: nothing, or `-o <dir>` (an assembly synthesized already). */
function assemblyArg(rest: readonly string[]): string | undefined {
  if (rest.length === 0) return undefined;
  if (rest.length === 2 && (rest[0] === '-o' || rest[0] === '--output') && !rest[1].startsWith('-')) return rest[1];
  throw new UsageError(`unknown argument "${rest[0] === '-o' || rest[0] === '--output' ? rest.slice(0, 2).join(' ') : rest[0]}"; ${USAGE}`);
}

function main(): void {
  const { selected, rest, targets, overrides } = loadKitContext(process.argv.slice(2));
  const assemblyDir = assemblyArg(rest) ?? synthToTempDir({ overrides, targets });
  const assembly = loadAssembly(assemblyDir);
  const reports = selected.map(([name, target]) => {
    const synthesized = assembly.targets.find((t) => t.name === name);
    if (!synthesized) throw new Error(`${assemblyDir} holds no assembly of target ${name}; synthesize it with \`npx cdk synth -c targets=${name}\`, or leave out -o.`);
    const title = `${name} (${target.region})`;
    const resources = resourceCostTable(synthesized.stacks, target.region);
    const { input, notes } = costInputsForTarget(name, target);
    const usage = estimateMonthlyCost(input);
    const turn = turnCost(target);
    const units = [turn, backgroundRoundCost(target), delegatedCallCost(target)];
    return [
      formatResourceCosts(title, resources, synthesized.stacks.map((s) => s.stackName)),
      units.map((u) => formatUnitCost(title, u)).join('\n'),
      formatCostEstimate(title, usage, notes),
      formatCostSummary(title, resources.fixedMonthlyUsd, usage, input.usage.turnsPerMonth, units, turn),
    ].join('\n\n');
  });
  console.log(reports.join('\n\n'));
}

try {
  main();
} catch (e) {
  console.error(e instanceof ConfigError || e instanceof UsageError ? e.message : `Statehouse cost estimate FAILED: ${(e as Error).message}`);
  process.exitCode = 1;
}
