import * as fs from 'node:fs';
import * as path from 'node:path';
import { SCP_FILE } from '../lib/report/load-assembly';
import type { StatehouseStage } from '../lib/stacks/statehouse-stage';

/**
 * The files the app writes next to each target's templates after synth:
 * `residency-scp.json`, the SCP document for the organization's admin to
 * attach (the kit never deploys SCPs; the evidence report reads it back).
 * Written here, not by a construct: synthesis itself stays free of file output.
 */
export function writeTargetFiles(stages: readonly StatehouseStage[]): string[] {
  return stages.map((stage) => {
    const file = path.join(stage.outdir, SCP_FILE);
    fs.mkdirSync(stage.outdir, { recursive: true });
    fs.writeFileSync(file, JSON.stringify(stage.serviceControlPolicy, null, 2) + '\n');
    return file;
  });
}
