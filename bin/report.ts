#!/usr/bin/env node
import * as path from 'node:path';
import { AssemblyReadError } from '../lib/report/load-assembly';
import { writeEvidenceReport } from '../lib/report/write-report';

/**
 * The auditor's evidence report, from a synthesized cloud assembly only:
 *   npm run report                      reads cdk.out, writes cdk.out/evidence
 *   npm run report -- -o my.out         reads my.out
 *   npm run report -- --out ./evidence  writes there
 * Run `npx cdk synth` (all targets: `-c targets=Commercial,GovWest,GovEast`) first.
 */

const USAGE = 'Usage: report [-o <cdk.out dir>] [--out <dir>]';

function parseArgs(argv: string[]): { cdkOut: string; outDir?: string } {
  let cdkOut = 'cdk.out';
  let outDir: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = argv[i + 1];
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
      console.error(`Unknown or incomplete argument "${arg}".\n${USAGE}`);
      process.exit(2);
    }
  }
  return { cdkOut, outDir };
}

const { cdkOut, outDir } = parseArgs(process.argv.slice(2));
try {
  const written = writeEvidenceReport({ cdkOut, outDir });
  if (written.length === 0) {
    console.error(`No target assemblies (assembly-<Target>/) in ${cdkOut}. Run \`npx cdk synth\` first.`);
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
  if (e instanceof AssemblyReadError) {
    console.error(e.message);
    process.exit(1);
  }
  throw e;
}
