#!/usr/bin/env node
import * as path from 'node:path';
import { loadKitContext, UsageError } from '../lib/cli/context-args';
import { ConfigError } from '../lib/config/load';
import { AssemblyReadError } from '../lib/report/load-assembly';
import { writeEvidenceReport } from '../lib/report/write-report';

/**
 * The auditor's evidence report, from a synthesized cloud assembly only:
 *   npm run report                        reads cdk.out, writes cdk.out/evidence, every target in it
 *   npm run report -- -c targets=GovWest  only GovWest (its assembly must be there)
 *   npm run report -- -o my.out           reads my.out
 *   npm run report -- --out ./evidence    writes there
 * `targets` is read as `cdk synth` reads it (cdk.json, cdk.context.json, -c).
 * Run `npx cdk synth` (all targets: `-c targets=Commercial,GovWest,GovEast`) first.
 */

const USAGE = 'Usage: report [-c targets=<Target,...>] [-o <cdk.out dir>] [--out <dir>]';

function parseArgs(argv: string[]): { cdkOut: string; outDir?: string; targets?: string[] } {
  const kit = loadKitContext(argv);
  let cdkOut = 'cdk.out';
  let outDir: string | undefined;
  for (let i = 0; i < kit.rest.length; i++) {
    const arg = kit.rest[i];
    const value = kit.rest[i + 1];
    if ((arg === '-o' || arg === '--output') && value) {
      cdkOut = value;
      i++;
    } else if (arg === '--out' && value) {
      outDir = value;
      i++;
    } else if (arg === '-h' || arg === '--help') {
      console.log(USAGE);
      process.exit(0);
    } else {
      throw new UsageError(`Unknown or incomplete argument "${arg}".\n${USAGE}`);
    }
  }
  // Without `targets`, every target the assembly holds; with it, those (checked against the configuration).
  return { cdkOut, outDir, targets: kit.targets === undefined ? undefined : kit.selected.map(([name]) => name) };
}

try {
  const args = parseArgs(process.argv.slice(2));
  const written = writeEvidenceReport(args);
  if (written.length === 0) {
    console.error(`No target assemblies (assembly-<Target>/) in ${args.cdkOut}. Run \`npx cdk synth\` first.`);
    process.exit(1);
  }
  for (const w of written) {
    const c = w.evidence.compliance;
    console.log(
      `${w.target}: ${w.evidence.dataStores.stores.length} data stores, ${w.evidence.network.endpoints.length} VPC endpoints, ` +
        `${w.evidence.network.apis.flatMap((a) => a.admittedEndpoints).length} admitted to the API, ${w.evidence.roles.length} roles, ` +
        `${c.errors.length} unacknowledged errors, ${c.acknowledgments.length} acknowledgments, ` +
        `${w.evidence.serviceGrants.filter((g) => g.scopedBy.length === 0).length} of ${w.evidence.serviceGrants.length} service-principal grants without a source condition; ` +
        `internet route: ${w.evidence.network.internetRoute.noInternetRoute ? 'none' : 'FOUND'}` +
        (w.evidence.network.internetRoute.notCovered.length > 0 ? ` in the templates (imported VPC ${w.evidence.network.internetRoute.notCovered.join(', ')} not covered)` : ''),
    );
    for (const file of [w.markdown, w.json, w.svg]) console.log(`  ${path.relative(process.cwd(), file)}`);
  }
} catch (e) {
  if (e instanceof UsageError || e instanceof ConfigError) {
    console.error(e.message);
    process.exit(2);
  }
  if (e instanceof AssemblyReadError) {
    console.error(e.message);
    process.exit(1);
  }
  throw e;
}
