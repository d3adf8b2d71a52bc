import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildEvidence } from './evidence';
import type { Evidence } from './evidence-types';
import { AssemblyReadError, loadAssembly, type LoadedAssembly, type TargetAssembly } from './load-assembly';
import { loadNistR5Controls, type NistRulesFile } from './nist-controls';
import { runProvenance, type RunProvenance } from './provenance';
import { renderMarkdown } from './render-markdown';
import { renderSvg } from './render-svg';

/** Writes the evidence of every target of a cloud assembly: Markdown, JSON and SVG per target. */

export interface ReportOptions {
  /** The cloud assembly directory (`cdk synth -o`). */
  readonly cdkOut: string;
  /** Where to write; default `<cdkOut>/evidence`. */
  readonly outDir?: string;
  /** Default: cdk-nag's RULES.md from node_modules. */
  readonly nist?: NistRulesFile;
  /** Only these targets, each of which must be in the assembly. @default every target of the assembly */
  readonly targets?: readonly string[];
  /** Default: this checkout's commit and version, generated now. */
  readonly provenance?: RunProvenance;
}

export interface WrittenTarget {
  readonly target: string;
  readonly evidence: Evidence;
  readonly markdown: string;
  readonly json: string;
  readonly svg: string;
}

export const evidenceFiles = (target: string) => ({
  markdown: `evidence-${target}.md`,
  json: `evidence-${target}.json`,
  svg: `architecture-${target}.svg`,
});

export function writeEvidenceReport(options: ReportOptions): WrittenTarget[] {
  const assembly = loadAssembly(options.cdkOut);
  const outDir = options.outDir ?? path.join(options.cdkOut, 'evidence');
  const nist = options.nist ?? loadNistR5Controls();
  const targets = options.targets === undefined ? assembly.targets : options.targets.map((name) => targetOf(assembly, name));
  const provenance = options.provenance ?? runProvenance();
  fs.mkdirSync(outDir, { recursive: true });
  return targets.map((target) => {
    const evidence = buildEvidence(target, assembly.validation, nist, provenance);
    const files = evidenceFiles(target.name);
    const written = {
      target: target.name,
      evidence,
      markdown: path.join(outDir, files.markdown),
      json: path.join(outDir, files.json),
      svg: path.join(outDir, files.svg),
    };
    fs.writeFileSync(written.markdown, renderMarkdown(evidence, files.svg));
    fs.writeFileSync(written.json, `${JSON.stringify(evidence, null, 2)}\n`);
    fs.writeFileSync(written.svg, renderSvg(evidence));
    return written;
  });
}

function targetOf(assembly: LoadedAssembly, name: string): TargetAssembly {
  const target = assembly.targets.find((t) => t.name === name);
  if (target) return target;
  const found = assembly.targets.map((t) => t.name).join(', ') || 'none';
  throw new AssemblyReadError(`${assembly.directory} has no assembly of target ${name} (it holds: ${found}); run \`npx cdk synth -c targets=${name}\` first.`);
}
