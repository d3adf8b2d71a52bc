import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { ENV } from '../../lib/contract/env-names';
import { synthStatehouse, type Synthesized } from '../helpers/synth';

/**
 * The one place Lambda code is bundled for real (every other synth skips
 * esbuild): each function's asset holds one CommonJS file that loads on this
 * machine's Node (20) and exports `handler`, and the template points at it.
 */
let synth: Synthesized;
beforeAll(() => {
  // aws-cdk-lib writes "Bundling asset <path>..." to stderr for each function (core/lib/asset-staging.js);
  // the tests below check the bundles themselves, so only those lines are left out of the test output.
  const write = process.stderr.write;
  process.stderr.write = ((chunk: string | Uint8Array, ...rest: never[]) =>
    /^Bundling asset \S+\.\.\.\n$/.test(String(chunk)) || write.call(process.stderr, chunk, ...rest)) as typeof process.stderr.write;
  try {
    // Streaming required, so the one bundling synth holds every function (GovWest's `auto` leaves it off: unverified there).
    synth = synthStatehouse({ targets: 'GovWest', bundle: true, overrides: { targets: { GovWest: { streaming: 'required' } } } });
  } finally {
    process.stderr.write = write;
  }
});

/**
 * Lambda's Node.js runtime gives the streaming function `awslambda`; outside
 * Lambda a preload gives the same two names, as the runtime's contract has them
 * (docs.aws.amazon.com/lambda/latest/dg/configuration-response-streaming.html), so the module can initialize.
 */
const LAMBDA_STREAMING_RUNTIME = 'globalThis.awslambda = { streamifyResponse: (handler) => handler, HttpResponseStream: { from: (stream) => stream } };';

test.each(['Orchestrator', 'Summarizer', 'Rounds', 'Streaming'])('the %s bundle loads and exports its handler', (name) => {
  // GIVEN the synthesized Runtime stack of GovWest
  const stage = synth.stages[0];
  const functions = Template.fromStack(stage.runtime).findResources('AWS::Lambda::Function');
  const [logicalId] = Object.keys(functions).filter((id) => id.startsWith(`Agent${name}`));
  expect(logicalId).toBeDefined();
  // The S3 key is `<asset hash>.zip`; the staged asset directory is `asset.<hash>` in the assembly.
  const hash = (functions[logicalId].Properties.Code.S3Key as string).replace(/\.zip$/, '');
  const bundle = path.join(synth.outdir, `asset.${hash}`, 'index.js');
  expect(fs.statSync(bundle).size).toBeGreaterThan(10_000);
  expect(functions[logicalId].Properties.Runtime).toBe('nodejs24.x');
  expect(functions[logicalId].Properties.Handler).toBe('index.handler');

  // WHEN a fresh Node process requires it, with the function's own environment
  const env = { ...process.env, ...functions[logicalId].Properties.Environment.Variables, AWS_REGION: 'us-gov-west-1' };
  // Values that are CloudFormation references (table name, bucket, key) get placeholders; values joined
  // from pseudo parameters only (the tool state machine ARNs) are resolved, so they still parse as ARNs.
  for (const [key, value] of Object.entries(env)) {
    if (typeof value !== 'string') env[key] = withPseudoParameters(value) ?? `placeholder-${key.toLowerCase()}`;
  }
  const run = spawnSync(process.execPath, ['-e', `${LAMBDA_STREAMING_RUNTIME} process.stdout.write(typeof require(${JSON.stringify(bundle)}).handler)`], {
    env,
    encoding: 'utf8',
  });

  // THEN it loads and exports a handler function
  expect(run.stderr).not.toMatch(/Error/);
  expect(run.stdout).toBe('function');
});

test('the orchestrator bundle carries the agent definitions, which are not in its environment', () => {
  // GIVEN the bundled orchestrator of GovWest and the construct's directory
  const stage = synth.stages[0];
  const functions = Template.fromStack(stage.runtime).findResources('AWS::Lambda::Function');
  const [logicalId] = Object.keys(functions).filter((id) => id.startsWith('AgentOrchestrator'));
  const hash = (functions[logicalId].Properties.Code.S3Key as string).replace(/\.zip$/, '');
  const code = fs.readFileSync(path.join(synth.outdir, `asset.${hash}`, 'index.js'), 'utf8');
  const { instructions } = stage.runtime.agent.agentDirectory.agents.assistant;
  // THEN the prompt is in the code (esbuild replaced process.env.<ENV.AGENT_DEFINITIONS>) and not in the environment;
  // the bundle loaded above without the variable, so it read them from itself.
  expect(code).toContain(JSON.stringify(instructions).slice(1, 40));
  expect(code).not.toContain(`process.env.${ENV.AGENT_DEFINITIONS}`);
  expect(JSON.stringify(functions[logicalId].Properties.Environment)).not.toContain(instructions.slice(0, 40));
  // The same for the tools' declarations (ENV.TOOLS): in the code, not in the environment.
  const [firstTool] = stage.runtime.agent.toolDeclarations;
  expect(code).toContain(JSON.stringify(firstTool.description).slice(1, -1).slice(0, 40));
  expect(code).not.toContain(`process.env.${ENV.TOOLS}`);
  expect(functions[logicalId].Properties.Environment.Variables[ENV.TOOLS]).toBeUndefined();
});

const PSEUDO_PARAMETERS: Record<string, string> = { 'AWS::AccountId': '123456789012', 'AWS::Partition': 'aws-us-gov', 'AWS::Region': 'us-gov-west-1' };

/** A `Fn::Join` of literals and pseudo parameters, as CloudFormation would resolve it; undefined for anything else. */
function withPseudoParameters(value: unknown): string | undefined {
  const join = (value as { 'Fn::Join'?: [string, unknown[]] } | null)?.['Fn::Join'];
  if (!join) return undefined;
  const parts = join[1].map((part) => (typeof part === 'string' ? part : PSEUDO_PARAMETERS[(part as { Ref?: string }).Ref ?? '']));
  return parts.every((part) => part !== undefined) ? parts.join(join[0]) : undefined;
}
