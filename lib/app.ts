import type { App } from 'aws-cdk-lib';
import { parseConfig, selectTargets } from './config/load';
import type { StatehouseConfig } from './config/schema';
import { addCompliancePacks } from './compliance/packs';
import { StatehouseStage } from './stacks/statehouse-stage';
import { targetStacksProps } from './stacks/target-props';

export interface BuildOptions {
  /** User overrides, deep-merged over the defaults. */
  readonly overrides?: unknown;
  /** Comma-separated target names; default: every target with `default: true`. */
  readonly targets?: string;
}

/** Build every selected target into `app`, with the compliance packs. */
export function buildApp(app: App, options: BuildOptions = {}): { config: StatehouseConfig; stages: StatehouseStage[] } {
  const config = parseConfig(options.overrides ?? {});
  const stages = selectTargets(config, options.targets).map(([name, target]) => new StatehouseStage(app, name, { settings: targetStacksProps(name, target) }));
  addCompliancePacks(app);
  return { config, stages };
}
