#!/usr/bin/env node
import { App } from 'aws-cdk-lib';
import { buildApp } from '../lib/app';
import { formatViolations, formatWarnings, readValidationReport, targetsWarned } from '../lib/compliance/validation-report';
import { UNVERIFIED_WARNING } from '../lib/residency/capability-gate';
import { statehouseContext } from '../lib/cli/context-args';
import { ConfigError } from '../lib/config/load';
import type { StatehouseStage } from '../lib/stacks/statehouse-stage';
import { writeTargetFiles } from './target-files';

/**
 * The Statehouse app. Configuration comes from CDK context only:
 *   -c targets=GovWest,GovEast           which targets to synthesize (default: every default target)
 *   -c statehouse='{"targets":{...}}'    overrides, as JSON
 *   -c statehouse=./my-config.json       overrides, from a file
 */

const app = new App();
let stages: StatehouseStage[] = [];
try {
  // The same reading of `targets` and `statehouse` as every kit command's (lib/cli/context-args.ts).
  ({ stages } = buildApp(app, statehouseContext((key) => app.node.tryGetContext(key))));
} catch (e) {
  if (e instanceof ConfigError) {
    console.error(e.message);
    process.exit(1);
  }
  throw e;
}

// Synthesize here, then fail on any unacknowledged finding (see validation-report.ts for why).
let assembly;
try {
  assembly = app.synth();
} catch (e) {
  // Capability-gate and construct validation errors: the message says what, why and what to do.
  console.error(`Statehouse synth FAILED:\n${(e as Error).message}`);
  process.exit(1);
}
writeTargetFiles(stages);
const { errors, warnings } = readValidationReport(assembly.directory);
if (warnings.length > 0) {
  console.error(formatWarnings('Statehouse synth warnings', warnings));
  // Said once, not per warning: preflight asks the account about every unverified capability of the targets.
  const unverified = targetsWarned(warnings, UNVERIFIED_WARNING);
  if (unverified.length > 0) console.error(`Before deploy, \`npm run preflight -- -c targets=${unverified.join(',')}\` asks the account about each unverified capability.`);
}
if (errors.length > 0) {
  console.error(formatViolations('Statehouse synth FAILED: unacknowledged findings', errors));
  process.exitCode = 1;
}
