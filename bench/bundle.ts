/**
 * Bundle benchmark: size of each function's esbuild bundle (the same options
 * the CDK uses) and its module-init time (a fresh Node process requiring the
 * bundle, median of several). Prints figures; asserts nothing.
 * Run: npm run bench:bundle
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildSync } from 'esbuild';
import { ENV } from '../lib/contract/env-names';
import { FUNCTION_BUNDLING } from '../lib/constructs/platform-function/platform-function-defaults';

const FUNCTIONS = ['orchestrator', 'summarizer'];
const RUNS = Number(process.env.BENCH_RUNS ?? 7);

/** The environment the CDK gives the functions, with placeholder values. */
const LAMBDA_ENV: Record<string, string> = {
  AWS_REGION: 'us-gov-west-1',
  AWS_ACCESS_KEY_ID: 'bench',
  AWS_SECRET_ACCESS_KEY: 'bench',
  [ENV.SESSION_TABLE]: 'statehouse-bench-sessions',
  [ENV.PAYLOAD_BUCKET]: 'statehouse-bench-payloads',
  [ENV.PAYLOAD_KEY]: 'bench-key',
  [ENV.INLINE_THRESHOLD_BYTES]: '65536',
  [ENV.CONTEXT_EVENTS]: '50',
  [ENV.CONTEXT_TOKENS]: '16000',
  [ENV.SESSION_TOKEN_BUDGET]: '2000000',
  [ENV.SESSION_TTL_DAYS]: '90',
  [ENV.MODEL_BACKEND]: JSON.stringify({ kind: 'bedrock-converse', modelId: 'anthropic.claude-3-haiku-20240307-v1:0' }),
  [ENV.TENANT_MAP]: '{}',
  [ENV.FIPS_SERVICES]: 'dynamodb,s3,bedrock-runtime',
  [ENV.POWERTOOLS_SERVICE_NAME]: 'bench',
  [ENV.POWERTOOLS_METRICS_NAMESPACE]: 'Statehouse',
  POWERTOOLS_TRACE_ENABLED: 'false',
};

const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'statehouse-bundle-'));
console.log(`bundle benchmark (esbuild, target ${FUNCTION_BUNDLING.target}, minified; init = fresh node process, median of ${RUNS})`);
console.log('function        bundle KiB   init ms (require + module-scope setup)');
for (const fn of FUNCTIONS) {
  const outfile = path.join(outdir, fn, 'index.js');
  buildSync({
    entryPoints: [path.join(__dirname, '..', 'lambda', fn, 'index.ts')],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: FUNCTION_BUNDLING.target,
    minify: FUNCTION_BUNDLING.minify,
    keepNames: FUNCTION_BUNDLING.keepNames,
    sourcemap: false,
    outfile,
    logLevel: 'error',
  });
  const probe = `const t=process.hrtime.bigint();require(${JSON.stringify(outfile)});process.stdout.write(String(Number(process.hrtime.bigint()-t)/1e6))`;
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const run = spawnSync(process.execPath, ['-e', probe], { env: { ...process.env, ...LAMBDA_ENV }, encoding: 'utf8' });
    if (run.status !== 0) throw new Error(`${fn} bundle failed to load: ${run.stderr}`);
    times.push(Number(run.stdout));
  }
  times.sort((a, b) => a - b);
  const kib = fs.statSync(outfile).size / 1024;
  console.log(`${fn.padEnd(14)}  ${kib.toFixed(0).padStart(10)}   ${times[Math.floor(times.length / 2)].toFixed(1).padStart(7)}`);
}
fs.rmSync(outdir, { recursive: true, force: true });
