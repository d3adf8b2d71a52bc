import { Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/** One acknowledged finding: which rule, where, and why. */
export interface AcknowledgedFinding {
  readonly rule: string;
  readonly path: string;
  readonly reason: string;
}

/**
 * Every acknowledgment under `root`, read from construct metadata. The
 * evidence report and the compliance tests list them.
 */
export function listAcknowledgments(root: IConstruct): AcknowledgedFinding[] {
  const out: AcknowledgedFinding[] = [];
  for (const construct of root.node.findAll()) {
    for (const entry of construct.node.metadata) {
      if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
      for (const [rule, reason] of Object.entries(entry.data as Record<string, string>)) {
        out.push({ rule, path: construct.node.path, reason });
      }
    }
  }
  return out;
}
