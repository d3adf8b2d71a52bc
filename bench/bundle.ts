/**
 * Bundle benchmark: each Lambda function's bundle as the CDK builds it, its
 * size and its module init (a fresh Node process requiring the bundle, with
 * the function's own environment), against a baseline built the same way: a
 * minimal handler with Powertools and a DynamoDB client (bench/baseline).
 * Runs of the baseline and of each function are interleaved, so machine load
 * weighs on both alike. Prints figures; asserts nothing.
 * Run: npm run bench:bundle   (BENCH_RUNS=15 by default)
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import { cdkJsonContext } from '../bin/synth-assembly';
import { buildApp } from '../lib/app';
import { FUNCTION_BUNDLING, FUNCTION_RUNTIME } from '../lib/constructs/platform-function/platform-function-defaults';

const RUNS = Number(process.env.BENCH_RUNS ?? 15);
const TARGET = 'GovWest';
const REGION = 'us-gov-west-1';
/** The Runtime stack's functions, by the prefix of their logical ids. */
const FUNCTIONS = ['Orchestrator', 'Streaming', 'Rounds', 'Summarizer'];

/** Lambda's Node.js runtime gives streaming functions `awslambda` (docs.aws.amazon.com/lambda/latest/dg/configuration-response-streaming.html). */
const LAMBDA_STREAMING_RUNTIME = 'globalThis.awslambda = { streamifyResponse: (handler) => handler, HttpResponseStream: { from: (stream) => stream } };';
const PSEUDO_PARAMETERS: Record<string, string> = { 'AWS::AccountId': '123456789012', 'AWS::Partition': 'aws-us-gov', 'AWS::Region': REGION };

interface Bundle {
  readonly name: string;
  readonly file: string;
  readonly env: Record<string, string>;
}

/** The value CloudFormation would give a `Fn::Join` of literals and pseudo parameters; a placeholder for any other reference. */
function envValue(key: string, value: unknown): string {
  if (typeof value === 'string') return value;
  const join = (value as { 'Fn::Join'?: [string, unknown[]] } | null)?.['Fn::Join'];
  if (join) {
    const parts = join[1].map((part) => (typeof part === 'string' ? part : PSEUDO_PARAMETERS[(part as { Ref?: string }).Ref ?? '']));
    if (parts.every((part) => part !== undefined)) return parts.join(join[0]);
  }
  return `placeholder-${key.toLowerCase()}`;
}

function bundleOf(outdir: string, template: { Resources: Record<string, any> }, name: string, logicalIdPrefix: string): Bundle {
  const [, resource] = Object.entries(template.Resources).find(([id, r]) => id.startsWith(logicalIdPrefix) && r.Type === 'AWS::Lambda::Function') ?? [];
  if (!resource) throw new Error(`no function ${logicalIdPrefix} in the template`);
  const hash = (resource.Properties.Code.S3Key as string).replace(/\.zip$/, '');
  const variables: Record<string, unknown> = resource.Properties.Environment?.Variables ?? {};
  const env = Object.fromEntries(Object.entries(variables).map(([key, value]) => [key, envValue(key, value)]));
  return { name, file: path.join(outdir, `asset.${hash}`, 'index.js'), env };
}

function templateOf(outdir: string, stack: Stack) {
  return JSON.parse(fs.readFileSync(path.join(outdir, stack.templateFile), 'utf8'));
}

/** The kit's functions, bundled by the CDK (only the Runtime stack bundles) with their synthesized environment. */
function functionBundles(outdir: string): Bundle[] {
  // The validation report is still written; the bench only stops aws-cdk-lib from printing it.
  const app = new App({
    outdir,
    context: { ...cdkJsonContext(), 'aws:cdk:bundling-stacks': [`${TARGET}/Runtime`], '@aws-cdk/core:failSynthOnValidationErrors': false },
  });
  // Streaming on, so every function of the stack is bundled.
  const { stages } = buildApp(app, { targets: TARGET, overrides: { targets: { [TARGET]: { streaming: 'required' } } } });
  app.synth();
  const runtime = stages[0].runtime;
  const template = templateOf(stages[0].outdir, runtime);
  // Assets are staged in the app's directory, templates in the stage's.
  return FUNCTIONS.map((fn) => bundleOf(outdir, template, fn.toLowerCase(), `Agent${fn}`));
}

/** The baseline through the same NodejsFunction path, runtime and FUNCTION_BUNDLING. */
function baselineBundle(outdir: string): Bundle {
  const app = new App({ outdir });
  const stack = new Stack(app, 'BundleBaseline');
  new nodejs.NodejsFunction(stack, 'Baseline', {
    entry: path.join(__dirname, 'baseline', 'index.ts'),
    runtime: FUNCTION_RUNTIME,
    architecture: lambda.Architecture.X86_64,
    bundling: FUNCTION_BUNDLING,
    environment: { NODE_OPTIONS: '--enable-source-maps', POWERTOOLS_SERVICE_NAME: 'baseline', TABLE_NAME: 'baseline' },
  });
  app.synth();
  return bundleOf(outdir, templateOf(outdir, stack), 'baseline', 'Baseline');
}

interface Sample {
  /** Wall time of `require(bundle)` in a fresh process, ms. */
  readonly wall: number;
  /** CPU time (user + system, every thread) the process spent in it, ms: what a loaded machine inflates least. */
  readonly cpu: number;
}

function initSample(bundle: Bundle): Sample {
  const probe =
    `${LAMBDA_STREAMING_RUNTIME} const c=process.cpuUsage(),t=process.hrtime.bigint();require(${JSON.stringify(bundle.file)});` +
    `const u=process.cpuUsage(c);process.stdout.write(JSON.stringify({wall:Number(process.hrtime.bigint()-t)/1e6,cpu:(u.user+u.system)/1e3}))`;
  const env = { PATH: process.env.PATH ?? '', AWS_REGION: REGION, AWS_ACCESS_KEY_ID: 'bench', AWS_SECRET_ACCESS_KEY: 'bench', POWERTOOLS_TRACE_ENABLED: 'false', ...bundle.env };
  // NODE_OPTIONS (--enable-source-maps, as the function's environment sets it) applies to the child as in Lambda.
  const run = spawnSync(process.execPath, ['-e', probe], { env, encoding: 'utf8' });
  if (run.status !== 0 || run.stderr.includes('Error')) throw new Error(`${bundle.name} bundle failed to load: ${run.stderr.slice(-2000)}`);
  return JSON.parse(run.stdout) as Sample;
}

const quantile = (values: readonly number[], q: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.round(q * (sorted.length - 1)))];
};

const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'statehouse-bundle-'));
try {
  const baseline = baselineBundle(path.join(outdir, 'baseline'));
  const bundles = [baseline, ...functionBundles(path.join(outdir, 'kit'))];
  const samples = new Map(bundles.map((b) => [b.name, [] as Sample[]]));
  for (const bundle of bundles) initSample(bundle); // warm the file cache
  for (let i = 0; i < RUNS; i++) {
    // Interleaved, and the order rotated each run, so load and caches weigh on each bundle alike.
    for (let j = 0; j < bundles.length; j++) {
      const bundle = bundles[(i + j) % bundles.length];
      samples.get(bundle.name)!.push(initSample(bundle));
    }
  }
  const of = (name: string, key: keyof Sample) => samples.get(name)!.map((sample) => sample[key]);
  const base = { wall: quantile(of(baseline.name, 'wall'), 0.5), cpu: quantile(of(baseline.name, 'cpu'), 0.5) };
  console.log(
    `bundle benchmark: CDK NodejsFunction bundles (${FUNCTION_RUNTIME.name}, esbuild target ${FUNCTION_BUNDLING.target}, format ${FUNCTION_BUNDLING.format}, ` +
      `mainFields ${FUNCTION_BUNDLING.mainFields?.join(',') ?? 'esbuild default'})`,
  );
  console.log(`init = require(bundle) in a fresh node ${process.version} process with the function's environment; ${RUNS} interleaved runs; load average ${os.loadavg()[0].toFixed(1)} on ${os.cpus().length} CPUs`);
  console.log('function        bundle KiB   wall median ms (p10..p90)     ratio   cpu median ms (p10..p90)      ratio');
  for (const bundle of bundles) {
    const column = (key: keyof Sample) => {
      const values = of(bundle.name, key);
      const median = quantile(values, 0.5);
      const spread = `(${quantile(values, 0.1).toFixed(0)}..${quantile(values, 0.9).toFixed(0)})`;
      return `${median.toFixed(1).padStart(8)} ${spread.padEnd(16)}  ${(median / base[key]).toFixed(2).padStart(6)}x`;
    };
    const kib = fs.statSync(bundle.file).size / 1024;
    console.log(`${bundle.name.padEnd(14)}  ${kib.toFixed(0).padStart(10)}   ${column('wall')}   ${column('cpu')}`);
  }
} finally {
  fs.rmSync(outdir, { recursive: true, force: true });
}
