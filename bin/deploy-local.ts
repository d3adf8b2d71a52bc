#!/usr/bin/env node
/**
 * Deploy a target into moto and hold a conversation with what was deployed.
 *   npm run deploy:local [-- --target GovWest | -c targets=GovWest] [--keep] [--summary <file.json>] [-c statehouse=<json|file>]
 * Starts moto_server on 127.0.0.1 (a free port), runs the real `cdk synth`,
 * `cdk bootstrap` and `cdk deploy` of every stack of the target against it,
 * then runs the deployed functions in this process behind a local gateway
 * that verifies SigV4 as API Gateway does, and holds a conversation through
 * it with the kit's client and the official openai package, as callers whose
 * keys moto's STS issued: refused requests, a turn, a tool call, a retry,
 * concurrent turns, an approval by another caller, an export whose chain is
 * recomputed here, a background turn of six rounds run by the deployed agent
 * loop and round function, a delegated turn, and responses, one streamed.
 * Stops moto at the end unless `--keep`.
 * Exits 1 when any step does not do what it should. No AWS account is used.
 */
import { modelsInUse } from '../lib/stacks/target-props';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseContextArgs } from '../lib/cli/context-args';
import { mergeConfig, parseConfig } from '../lib/config/load';
import { runConversation } from '../lib/emulator/conversation';
import { deployToEmulator, emulatedAccount } from '../lib/emulator/deploy';
import { startMotoServer } from '../lib/emulator/moto-server';
import { partitionOf } from '../lib/residency/region-facts';

const REPO_ROOT = path.resolve(__dirname, '..');
/** A cloud assembly of its own: `npx cdk synth`'s cdk.out is left as it was. */
const OUTPUT_DIR = path.join(REPO_ROOT, 'cdk.out.local');

interface Args {
  readonly target: string;
  readonly keep: boolean;
  readonly summary?: string;
  readonly overrides: unknown;
}

function parseArgs(argv: readonly string[]): Args {
  const valueOf = (flag: string): string | undefined => {
    const at = argv.indexOf(flag);
    if (at < 0) return undefined;
    const value = argv[at + 1];
    if (value === undefined || value.startsWith('-')) throw new Error(`${flag} needs a value`);
    return value;
  };
  const known = new Set(['--target', '--keep', '--summary', '-c', '--context']);
  for (let i = 0; i < argv.length; i++) {
    if (!known.has(argv[i])) throw new Error(`unknown argument "${argv[i]}"; use --target <Name>, --keep, --summary <file>, -c statehouse=<json|file>`);
    if (argv[i] !== '--keep') i++;
  }
  const context = parseContextArgs(argv);
  if (context.targets?.includes(',')) throw new Error(`deploy:local deploys one target at a time; got -c targets=${context.targets}`);
  // `-c targets=<Name>` as the kit's other commands take it, or --target.
  return { target: valueOf('--target') ?? context.targets ?? 'GovWest', keep: argv.includes('--keep'), summary: valueOf('--summary'), overrides: context.overrides };
}

async function main(): Promise<void> {
  const started = Date.now();
  const args = parseArgs(process.argv.slice(2));
  const target = parseConfig(args.overrides as never).targets[args.target];
  if (!target) throw new Error(`no target "${args.target}" in the configuration`);
  const { region } = target;
  // Fail before anything starts when the emulator cannot run what the target asks for.
  if (target.neuron) {
    throw new Error(
      `targets.${args.target}.neuron: deploy:local cannot deploy the Inference stack. Why: moto's SageMaker instance-type list predates Trainium and Inferentia 2, and moto runs no model server. Instead: run deploy:local without neuron in this target's configuration, and check the endpoint's instance type with npm run preflight against the real account.`,
    );
  }
  if (Object.keys(target.guardrails ?? {}).length > 0) {
    throw new Error(
      `targets.${args.target}.guardrails: deploy:local cannot deploy a Bedrock guardrail. Why: moto's CloudFormation does not model AWS::Bedrock::Guardrail, so the Runtime stack's reference to it fails ("Fn::GetAtt references undefined resource"). ` +
        'Instead: run deploy:local without guardrails (and without agents.<name>.guardrail); guardrails are tested against a scripted ApplyGuardrail endpoint with the real SDK client (test/lambda/core/adapters/guardrail) and synthesized with cdk-nag and cfn-lint (test/lib/config/agents.test.ts).',
    );
  }
  const notConverse = modelsInUse(target).find((model) => model.kind !== 'bedrock-converse');
  if (notConverse) {
    throw new Error(
      `a model of targets.${args.target} (an agent's, the summarizer's or the default) has kind "${notConverse.kind}": deploy:local's scripted model speaks only the Bedrock Converse API. Instead: run deploy:local with the default model ({"kind":"bedrock-converse"}); the other backends are tested against their wire formats in test/lambda/core/adapters/model.`,
    );
  }
  const log = (line: string): void => console.log(line);

  log(`deploy:local ${args.target} (${region}) into moto: no AWS account, no internet`);
  const moto = await startMotoServer({ detached: args.keep });
  log(`moto_server ${moto.endpoint} (pid ${moto.pid})`);
  let keep = false;
  try {
    const account = await emulatedAccount(moto, region);
    const partition = partitionOf(region)!.id;
    const role = (name: string) => `arn:${partition}:iam::${account}:role/${name}`;
    // The emulator's own settings, over the user's: moto cannot set termination protection; the conversation
    // needs a tenant with a user and a records officer (release_records' approver role); and it streams a
    // response, so streaming is deployed unless the configuration says otherwise (in GovCloud it is off by
    // default: Lambda response streaming is unverified there, see lib/residency/region-facts.ts).
    const tenant = 'agency-demo';
    const streaming = target.streaming ?? 'required';
    // Memory across sessions is off by default (a Privacy Act system of records); the conversation shows it, so the
    // default agent gets it unless the configuration gives some agent memory itself.
    const memoryAgents = Object.entries(target.agents).filter(([, agent]) => agent.memory !== undefined).map(([name]) => name);
    const agents = memoryAgents.length > 0 ? target.agents : { ...target.agents, [target.defaultAgent]: { ...target.agents[target.defaultAgent], memory: {} } };
    const overrides = mergeConfig(args.overrides as never, {
      targets: { [args.target]: { terminationProtection: false, streaming, agents, tenants: { [tenant]: [role('AgencyDemoApp'), role('RecordsOfficer')] } } },
    } as never);

    log('');
    log(`1. cdk synth, cdk bootstrap aws://${account}/${region} and cdk deploy ${args.target}/* (CLI output: ${path.relative(process.cwd(), OUTPUT_DIR)}/cdk-cli.log)`);
    log(
      `   over the configuration: terminationProtection false, tenants.${tenant} the roles AgencyDemoApp and RecordsOfficer, ` +
        `streaming ${streaming}${target.streaming === undefined ? ' (the configuration sets none; the conversation streams a response)' : ' (as configured)'}, ` +
        `memory on for ${memoryAgents.length > 0 ? `${memoryAgents.join(', ')} (as configured)` : `${target.defaultAgent} (the configuration gives no agent memory; the conversation recalls across sessions)`}`,
    );
    const deployment = await deployToEmulator({ moto, target: args.target, region, overrides, repoRoot: REPO_ROOT, outputDir: OUTPUT_DIR, log });
    log(`   synth ${deployment.seconds.synth.toFixed(1)} s, bootstrap ${deployment.seconds.bootstrap.toFixed(1)} s, deploy ${deployment.seconds.deploy.toFixed(1)} s`);
    for (const stack of deployment.stacks) {
      const skipped = Object.entries(stack.withoutPhysicalId).map(([type, n]) => `${type} ×${n}`);
      log(`   ${stack.stackName}: ${stack.status}, ${Object.keys(stack.outputs).length} outputs${skipped.length ? `; moto lists without a physical id: ${skipped.join(', ')}` : ''}`);
    }
    const runtime = deployment.stacks.find((s) => s.stackName === `${args.target}-Runtime`);
    if (!runtime) throw new Error(`${args.target}-Runtime was not deployed`);

    log('');
    log('2. A conversation with the deployed runtime through a local gateway that verifies SigV4 as API Gateway does (the model is the one scripted double)');
    const conversation = await runConversation({
      moto,
      region,
      account,
      runtime,
      assemblyDir: OUTPUT_DIR,
      callers: { requester: { roleArn: role('AgencyDemoApp'), sessionName: 'alice' }, officer: { roleArn: role('RecordsOfficer'), sessionName: 'olivia' } },
      tenant,
      agents: { defaultAgent: target.defaultAgent, agents: target.agents },
      log,
    });

    const seconds = (Date.now() - started) / 1000;
    if (args.summary) fs.writeFileSync(args.summary, JSON.stringify({ target: args.target, region, account, moto: { endpoint: moto.endpoint, pid: moto.pid }, deployment, conversation, seconds }, null, 2));
    log('');
    log(`deploy:local ${args.target}: every step did what it should, in ${seconds.toFixed(1)} s`);
    keep = args.keep;
  } finally {
    if (keep) {
      log(`moto_server keeps running at http://localhost:${moto.port} (pid ${moto.pid}); stop it with: kill ${moto.pid}`);
      log(`  e.g. AWS_ENDPOINT_URL=http://localhost:${moto.port} AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing aws --region ${region} cloudformation describe-stacks`);
    } else {
      await moto.stop();
    }
  }
}

main().catch((error) => {
  console.error(`deploy:local failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
