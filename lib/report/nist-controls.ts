import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ControlMapping } from './evidence-types';

/**
 * NIST SP 800-53 rev 5 controls of each compliance rule.
 *
 * - `NIST.800.53.R5-*` (cdk-nag): read at report time from cdk-nag's own
 *   RULES.md, "NIST 800-53 rev 5" section, column "Relevant Control ID(s)";
 *   so the mapping is the one of the cdk-nag version that checked the templates.
 * - `AwsSolutions-*` and the residency guard's `StatehouseResidency::*`: the
 *   small table below. Where an AwsSolutions rule checks the same thing as a
 *   NIST rule, the table names that rule and its controls come from RULES.md;
 *   otherwise the controls are our reasoning, and the report says so.
 * - Anything else (cfn-lint, capability-gate warnings): unmapped.
 */

export const NIST_R5_PREFIX = 'NIST.800.53.R5-';
const NIST_R5_HEADING = /^##\s+NIST 800-53 rev 5\s*$/;
const RULE_ID_COLUMN = 'Rule ID';
const CONTROLS_COLUMN = 'Relevant Control ID(s)';

export const UNMAPPED = 'unmapped';
export const LOCAL_MAPPING_SOURCE = 'Statehouse mapping table (lib/report/nist-controls.ts): our reasoning, not an authoritative crosswalk';

interface LocalMapping {
  /** Controls, by our reasoning. */
  readonly controls?: string[];
  /** A cdk-nag NIST 800-53 rev 5 rule that checks the same thing; its controls come from RULES.md. */
  readonly sameAs?: string;
  /** Why these controls. */
  readonly why: string;
}

/** AwsSolutions rules and residency-guard rules → NIST 800-53 rev 5. */
export const LOCAL_CONTROL_MAP: Readonly<Record<string, LocalMapping>> = {
  'AwsSolutions-APIG1': { controls: ['AU-2', 'AU-12'], why: 'API access logging is audit event generation.' },
  'AwsSolutions-APIG2': { controls: ['SI-10'], why: 'Request validation is information input validation.' },
  'AwsSolutions-APIG3': { sameAs: `${NIST_R5_PREFIX}APIGWAssociatedWithWAF`, why: 'Same check: REST API stage without a WAFv2 web ACL.' },
  'AwsSolutions-APIG4': { controls: ['AC-3', 'IA-2'], why: 'An API without authorization has no access enforcement or caller identification.' },
  'AwsSolutions-APIG6': { sameAs: `${NIST_R5_PREFIX}APIGWExecutionLoggingEnabled`, why: 'Same check: stage CloudWatch logging for all methods.' },
  'AwsSolutions-COG4': { controls: ['IA-2', 'AC-3'], why: 'The rule asks for a Cognito authorizer, i.e. identification and access enforcement of callers.' },
  'AwsSolutions-DDB3': { sameAs: `${NIST_R5_PREFIX}DynamoDBPITREnabled`, why: 'Same check: DynamoDB point-in-time recovery.' },
  'AwsSolutions-IAM4': { controls: ['AC-6'], why: 'AWS managed policies can grant more than the role needs (least privilege).' },
  'AwsSolutions-IAM5': { controls: ['AC-6', 'AC-3'], why: 'Wildcard actions or resources exceed least privilege.' },
  'AwsSolutions-KMS5': { sameAs: `${NIST_R5_PREFIX}KMSBackingKeyRotationEnabled`, why: 'Same check: KMS key rotation.' },
  'AwsSolutions-L1': { controls: ['SI-2'], why: 'An outdated runtime misses flaw remediation.' },
  'AwsSolutions-S1': { sameAs: `${NIST_R5_PREFIX}S3BucketLoggingEnabled`, why: 'Same check: S3 server access logs.' },
  'AwsSolutions-S2': { sameAs: `${NIST_R5_PREFIX}S3BucketLevelPublicAccessProhibited`, why: 'Same check: S3 public access block.' },
  'AwsSolutions-S10': { sameAs: `${NIST_R5_PREFIX}S3BucketSSLRequestsOnly`, why: 'Same check: TLS-only bucket policy.' },
  'AwsSolutions-SF1': { controls: ['AU-2', 'AU-12'], why: 'Logging ALL state machine events is audit event generation.' },
  'AwsSolutions-SF2': { controls: ['SI-4'], why: 'X-Ray tracing is system monitoring.' },
  'AwsSolutions-SQS2': { controls: ['SC-28'], why: 'Queue encryption is protection of information at rest.' },
  'AwsSolutions-SQS3': { controls: ['CP-10'], why: 'A dead-letter queue keeps failed messages for recovery instead of dropping them.' },
  'AwsSolutions-SQS4': { controls: ['SC-8'], why: 'TLS-only queue policy is transmission confidentiality and integrity.' },
  'AwsSolutions-VPC7': { sameAs: `${NIST_R5_PREFIX}VPCFlowLogsEnabled`, why: 'Same check: VPC flow logs.' },
  'StatehouseResidency::PartitionLiteral': { controls: ['AC-4', 'SC-7'], why: 'An ARN of another partition is an information flow across the residency boundary.' },
  'StatehouseResidency::RegionOutsideResidency': { controls: ['SC-7', 'AC-4'], why: 'A resource outside the allowed regions crosses the boundary.' },
  'StatehouseResidency::UnencryptedDataStore': { controls: ['SC-28'], why: 'Protection of information at rest.' },
  'StatehouseResidency::WildcardPrincipal': { controls: ['AC-3', 'AC-6'], why: 'An unconditioned `*` principal defeats access enforcement and least privilege.' },
  'StatehouseResidency::LambdaOutsideVpc': { controls: ['SC-7'], why: 'A function outside the isolated VPC is outside the boundary protection.' },
};

/** Rule ids as acknowledged or reported: `Annotation::AwsSolutions-IAM5[Action::logs:*]` → rule + finding. */
export function parseRuleId(id: string): { rule: string; finding?: string } {
  const bare = id.replace(/^Annotation::/, '');
  const match = /^([^[]+)(?:\[(.*)\])?$/.exec(bare);
  return match ? { rule: match[1], finding: match[2] } : { rule: bare };
}

function splitRow(line: string): string[] {
  return line
    .replace(/\\\|/g, '\u0000')
    .split('|')
    .slice(1, -1)
    .map((cell) => cell.replace(/\u0000/g, '|').trim());
}

/** Rule id → controls, from the NIST 800-53 rev 5 section of cdk-nag's RULES.md. */
export function parseNistR5Controls(rulesMarkdown: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let inSection = false;
  let columns: { rule: number; controls: number } | undefined;
  for (const line of rulesMarkdown.split(/\r?\n/)) {
    if (/^##\s/.test(line)) {
      inSection = NIST_R5_HEADING.test(line);
      columns = undefined;
      continue;
    }
    if (!inSection || !line.startsWith('|')) {
      if (!line.startsWith('|')) columns = undefined;
      continue;
    }
    const cells = splitRow(line);
    if (cells.includes(RULE_ID_COLUMN) && cells.includes(CONTROLS_COLUMN)) {
      columns = { rule: cells.indexOf(RULE_ID_COLUMN), controls: cells.indexOf(CONTROLS_COLUMN) };
      continue;
    }
    if (!columns) continue;
    const rule = /(NIST\.800\.53\.R5-[A-Za-z0-9]+)/.exec(cells[columns.rule] ?? '')?.[1];
    if (!rule) continue;
    const controls = (cells[columns.controls] ?? '')
      .split(',')
      .map((c) => c.trim())
      .filter(Boolean);
    out.set(rule, [...new Set(controls)]);
  }
  return out;
}

export interface NistRulesFile {
  readonly file: string;
  readonly version: string;
  readonly controls: Map<string, string[]>;
}

/** cdk-nag's RULES.md, from the installed package. */
export function loadNistR5Controls(packageJson = require.resolve('cdk-nag/package.json')): NistRulesFile {
  const dir = path.dirname(packageJson);
  const file = path.join(dir, 'RULES.md');
  const version = (JSON.parse(fs.readFileSync(packageJson, 'utf8')) as { version: string }).version;
  return { file, version, controls: parseNistR5Controls(fs.readFileSync(file, 'utf8')) };
}

/** The controls of one rule, with where the mapping comes from. */
export function controlsOf(rule: string, nist: NistRulesFile): ControlMapping {
  const rulesSource = `cdk-nag ${nist.version} RULES.md (NIST 800-53 rev 5 table)`;
  if (rule.startsWith(NIST_R5_PREFIX)) {
    const controls = nist.controls.get(rule);
    return controls ? { controls, source: rulesSource } : { controls: [], source: `${UNMAPPED}: not in ${rulesSource}` };
  }
  const local = LOCAL_CONTROL_MAP[rule];
  if (!local) return { controls: [], source: UNMAPPED };
  if (local.sameAs) {
    const controls = nist.controls.get(local.sameAs);
    if (controls) return { controls, source: `${rulesSource}, via ${local.sameAs} (${local.why} Equivalence: our reasoning)` };
  }
  return { controls: local.controls ?? [], source: `${LOCAL_MAPPING_SOURCE}. ${local.why}` };
}
