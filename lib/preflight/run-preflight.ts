import { modelsInUse } from '../stacks/target-props';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { buildApp } from '../app';
import type { ModelConfig, StatehouseConfig } from '../config/schema';
import { capabilityRecords, type CapabilityRecord } from '../residency/capability-gate';
import { FactStatus } from '../residency/region-facts';
import { callerIdentity, type CallerIdentity } from './credentials';
import { probeCapability, type PreflightClients, type ProbeOutcome } from './probes';

export interface PreflightTarget {
  readonly target: string;
  readonly region: string;
  /** The account and caller the target's STS names, or why it refused the credentials (then nothing was asked). */
  readonly identity: CallerIdentity;
  readonly outcomes: ProbeOutcome[];
}

/**
 * The capabilities a target's configuration needs that the region facts mark
 * `unverified`, found by building the app exactly as synth does (the gate
 * records every capability it is asked about).
 */
export function unverifiedCapabilities(context: Record<string, unknown>, overrides: unknown, target: string): { config: StatehouseConfig; records: CapabilityRecord[] } {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'statehouse-preflight-'));
  // The report is still written; this stops aws-cdk-lib printing the synth warnings preflight is about to answer.
  const app = new App({ outdir, context: { ...context, 'aws:cdk:bundling-stacks': [], '@aws-cdk/core:failSynthOnValidationErrors': false } });
  const { config } = buildApp(app, { overrides, targets: target });
  const unique = new Map<string, CapabilityRecord>();
  for (const record of capabilityRecords(app)) {
    if (record.status === FactStatus.UNVERIFIED && !unique.has(record.capability)) unique.set(record.capability, record);
  }
  fs.rmSync(outdir, { recursive: true, force: true });
  return { config, records: [...unique.values()] };
}

/** Ask the account about every unverified capability of one target. */
export async function runPreflight(
  context: Record<string, unknown>,
  overrides: unknown,
  target: string,
  clientsFor: (region: string) => PreflightClients,
): Promise<PreflightTarget> {
  const { config, records } = unverifiedCapabilities(context, overrides, target);
  const targetConfig = config.targets[target];
  // The Bedrock models of every agent and of the summarizer.
  const bedrockModelId = (model: ModelConfig | undefined) =>
    model?.kind === 'bedrock-converse' ? [model.modelId] : [];
  const modelIds = [...new Set(modelsInUse(targetConfig).flatMap(bedrockModelId))];
  const clients = clientsFor(targetConfig.region);
  const identity = await callerIdentity(clients.sts);
  const outcomes: ProbeOutcome[] = [];
  if ('account' in identity) {
    for (const record of records) outcomes.push(await probeCapability(record, clients, { region: targetConfig.region, modelIds }));
  }
  return { target, region: targetConfig.region, identity, outcomes };
}

export function formatPreflight(result: PreflightTarget): string {
  const title = `Preflight ${result.target} (${result.region})`;
  if ('refused' in result.identity) {
    return `${title}: STS there refused the credentials (${result.identity.refused}), so nothing was asked; give credentials of this target's partition and account.`;
  }
  const width = Math.max(10, ...result.outcomes.map((o) => o.capability.length));
  const lines = [
    `${title}, account ${result.identity.account} as ${result.identity.arn}: ${result.outcomes.length} unverified capabilities asked`,
    `${'result'.padEnd(8)} ${'capability'.padEnd(width)}  detail`,
    ...result.outcomes.map((o) => `${o.result.toUpperCase().padEnd(8)} ${o.capability.padEnd(width)}  ${o.detail}  (needed by ${o.neededBy})`),
  ];
  const counts = (['pass', 'fail', 'unknown'] as const).map((r) => `${result.outcomes.filter((o) => o.result === r).length} ${r}`);
  lines.push(counts.join(', '));
  return lines.join('\n');
}
