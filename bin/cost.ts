#!/usr/bin/env node
/**
 * What each target costs, one report per target:
 *   npm run cost -- [-c targets=GovWest,Commercial] [-c statehouse=<json|file>] [-o <cdk.out dir>]
 * Without `-c targets`, every default target. The templates are synthesized
 * from the same configuration `cdk synth` reads (or read from `-o`, an
 * assembly synthesized with that configuration), and every resource in them
 * is priced, listed as free, or listed as UNPRICED: the fixed monthly cost.
 * Then the cost of one turn, one background round and one delegated call,
 * and the month's usage at the estimate's turns. Prices and assumptions: lib/cost/.
 */
import { parseContextArgs } from '../lib/cli/context-args';
import { ConfigError, parseConfig, selectTargets } from '../lib/config/load';
import { costInputsForTarget } from '../lib/cost/cost-inputs';
import { estimateMonthlyCost } from '../lib/cost/estimate';
import { formatCostEstimate, formatCostSummary, formatResourceCosts, formatUnitCost } from '../lib/cost/format';
import { resourceCostTable } from '../lib/cost/resource-cost';
import { backgroundRoundCost, delegatedCallCost, turnCost } from '../lib/cost/unit-cost';
import { loadAssembly } from '../lib/report/load-assembly';
import { synthToTempDir } from './synth-assembly';

/** `-o <dir>`: an assembly synthesized already. */
function assemblyArg(argv: readonly string[]): string | undefined {
  const at = argv.findIndex((a) => a === '-o' || a === '--output');
  return at === -1 ? undefined : argv[at + 1];
}

function main(): void {
  const argv = process.argv.slice(2);
  const { targets, overrides } = parseContextArgs(argv);
  const config = parseConfig(overrides);
  const selected = selectTargets(config, targets);
  const assemblyDir = assemblyArg(argv) ?? synthToTempDir({ overrides, targets });
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
  console.error(e instanceof ConfigError ? e.message : `Statehouse cost estimate FAILED: ${(e as Error).message}`);
  process.exitCode = 1;
}
