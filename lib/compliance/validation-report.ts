import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * Reads the validation report aws-cdk-lib writes next to the cloud assembly
 * (cdk-nag, the residency guard, construct annotations).
 *
 * Why the app reads it itself: the CDK CLI filters the report by the stacks it
 * selected, and a plain `cdk synth` of an app made of Stages selects none, so
 * the CLI would report success over unacknowledged findings.
 */

export interface ReportedViolation {
  readonly plugin: string;
  readonly rule: string;
  readonly severity: string;
  readonly description: string;
  readonly fix?: string;
  readonly paths: string[];
}

export interface ValidationSummary {
  readonly errors: ReportedViolation[];
  readonly warnings: ReportedViolation[];
}

export const VALIDATION_REPORT_FILE = 'validation-report.json';

interface RawReport {
  pluginReports: Array<{
    pluginName: string;
    violations: Array<{
      ruleName: string;
      description: string;
      suggestedFix?: string;
      severity?: string;
      violatingConstructs: Array<{ constructPath: string }>;
    }>;
  }>;
}

export function readValidationReport(assemblyDir: string): ValidationSummary {
  const file = path.join(assemblyDir, VALIDATION_REPORT_FILE);
  const summary: ValidationSummary = { errors: [], warnings: [] };
  if (!fs.existsSync(file)) return summary;
  const raw = JSON.parse(fs.readFileSync(file, 'utf8')) as RawReport;
  for (const report of raw.pluginReports) {
    for (const v of report.violations) {
      const entry: ReportedViolation = {
        plugin: report.pluginName,
        rule: v.ruleName,
        severity: v.severity ?? 'error',
        description: v.description,
        fix: v.suggestedFix,
        paths: v.violatingConstructs.map((c) => c.constructPath),
      };
      (entry.severity === 'warning' || entry.severity === 'info' ? summary.warnings : summary.errors).push(entry);
    }
  }
  return summary;
}

export function formatViolations(title: string, violations: ReportedViolation[]): string {
  return [
    `${title} (${violations.length}):`,
    ...violations.map(
      (v) => `  - [${v.plugin}] ${v.rule}: ${v.description}${v.fix ? ` Fix: ${v.fix}` : ''}\n      at ${v.paths.join('\n      at ')}`,
    ),
  ].join('\n');
}

/** How aws-cdk-lib names a construct annotation's rule in the report: `Annotation::<id>`. */
const ANNOTATION_RULE_PREFIX = 'Annotation::';

/**
 * Warnings, one line each: where, and what. A construct annotation's own
 * message names what it is about (the kit's say what, why and what to do);
 * another plugin's finding keeps its rule and fix.
 */
export function formatWarnings(title: string, warnings: readonly ReportedViolation[]): string {
  const line = (w: ReportedViolation) =>
    w.rule.startsWith(ANNOTATION_RULE_PREFIX) ? w.description : `[${w.plugin}] ${w.rule}: ${w.description}${w.fix ? ` Fix: ${w.fix}` : ''}`;
  return [`${title} (${warnings.length}):`, ...warnings.map((w) => `  - ${w.paths.join(', ')}: ${line(w).replace(/\s*\n\s*/g, ' ')}`)].join('\n');
}

/** The targets (first segment of each path) warned by annotations whose id starts with `idPrefix`. */
export function targetsWarned(warnings: readonly ReportedViolation[], idPrefix: string): string[] {
  const matching = warnings.filter((w) => w.rule.startsWith(`${ANNOTATION_RULE_PREFIX}${idPrefix}`));
  return [...new Set(matching.flatMap((w) => w.paths.map((p) => p.split('/')[0])))];
}
