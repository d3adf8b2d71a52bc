import { Validations } from 'aws-cdk-lib';
import type { ReportedViolation, ValidationSummary } from '../../compliance/validation-report';
import type { AcknowledgmentEvidence, ComplianceEvidence, FindingEvidence } from '../evidence-types';
import type { TargetAssembly } from '../load-assembly';
import { controlsOf, parseRuleId, type NistRulesFile } from '../nist-controls';

/**
 * Section 6: compliance findings. Unacknowledged errors and warnings of
 * `validation-report.json` for this target, and every acknowledgment with its
 * reason, read from each stack's construct metadata; each rule mapped to
 * NIST 800-53 rev 5 controls.
 */

function findingsOf(target: string, violations: ReportedViolation[], nist: NistRulesFile): FindingEvidence[] {
  return violations
    .map((v) => ({ ...v, paths: v.paths.filter((p) => p.startsWith(`${target}/`)) }))
    .filter((v) => v.paths.length > 0)
    .map((v) => ({
      plugin: v.plugin,
      rule: v.rule,
      severity: v.severity,
      description: v.description,
      fix: v.fix,
      paths: v.paths,
      mapping: controlsOf(parseRuleId(v.rule).rule, nist),
    }));
}

/** Every `aws:cdk:acknowledged-rules` metadata entry of the target's stacks. */
export function acknowledgmentsOf(target: TargetAssembly, nist: NistRulesFile): AcknowledgmentEvidence[] {
  const out: AcknowledgmentEvidence[] = [];
  for (const stack of target.stacks) {
    for (const [constructPath, entries] of Object.entries(stack.metadata)) {
      for (const entry of entries) {
        if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
        for (const [id, reason] of Object.entries((entry.data ?? {}) as Record<string, string>)) {
          const { rule, finding } = parseRuleId(id);
          out.push({ id, rule, finding, path: constructPath.replace(/^\//, ''), stack: stack.displayName, reason, mapping: controlsOf(rule, nist) });
        }
      }
    }
  }
  return out;
}

export function complianceEvidence(target: TargetAssembly, validation: ValidationSummary | undefined, nist: NistRulesFile): ComplianceEvidence {
  const errors = findingsOf(target.name, validation?.errors ?? [], nist);
  const warnings = findingsOf(target.name, validation?.warnings ?? [], nist);
  const acknowledgments = acknowledgmentsOf(target, nist);
  const ruleNames = [...new Set([...errors, ...warnings].map((f) => parseRuleId(f.rule).rule).concat(acknowledgments.map((a) => a.rule)))].sort();
  return {
    errors,
    warnings,
    acknowledgments,
    rules: ruleNames.map((rule) => ({ rule, ...controlsOf(rule, nist) })),
    validationReportFound: validation !== undefined,
  };
}
