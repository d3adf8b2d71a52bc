/**
 * Synth benchmark: wall time and peak RSS of synthesizing each target, and of
 * all default targets, in-process (no CLI start-up). Prints figures; asserts
 * nothing. Run: npm run bench:synth [-- -c targets=GovWest]
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { buildApp } from '../lib/app';
import { loadKitContext } from '../lib/cli/context-args';

// The context, configuration and targets `cdk synth` would read (cdk.json, cdk.context.json, -c).
const kit = loadKitContext(process.argv.slice(2));

function synthOnce(targets?: string): { ms: number; templates: number; bytes: number } {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'statehouse-bench-'));
  const start = process.hrtime.bigint();
  // The report is still written; the bench only stops aws-cdk-lib from printing it on every run.
  const app = new App({
    outdir,
    context: { ...kit.context, 'aws:cdk:bundling-stacks': [], '@aws-cdk/core:failSynthOnValidationErrors': false },
  });
  buildApp(app, { overrides: kit.overrides, targets });
  const assembly = app.synth();
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  const templates = assembly.nestedAssemblies.flatMap((a) => a.nestedAssembly.stacks.map((s) => s.templateFullPath));
  const bytes = templates.reduce((sum, t) => sum + fs.statSync(t).size, 0);
  fs.rmSync(outdir, { recursive: true, force: true });
  return { ms, templates: templates.length, bytes };
}

const runs = Number(process.env.BENCH_RUNS ?? 3);
const rows: string[] = [];
// With -c targets=..., those together; without, the default targets and each target alone.
for (const targets of kit.targets !== undefined ? [kit.targets] : [undefined, ...Object.keys(kit.config.targets)]) {
  synthOnce(targets); // warm module caches
  const samples = Array.from({ length: runs }, () => synthOnce(targets));
  const ms = samples.map((s) => s.ms).sort((a, b) => a - b);
  rows.push(
    `${(targets ?? 'default targets').padEnd(16)} median ${ms[Math.floor(ms.length / 2)].toFixed(0).padStart(6)} ms   ` +
      `min ${ms[0].toFixed(0).padStart(6)} ms   templates ${samples[0].templates}   ${(samples[0].bytes / 1024).toFixed(0)} KiB`,
  );
}
console.log(`synth benchmark (${runs} runs each, in-process, bundling skipped)`);
for (const row of rows) console.log(row);
console.log(`peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`);
