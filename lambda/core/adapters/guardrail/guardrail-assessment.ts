import type { ApplyGuardrailResponse, GuardrailAssessment } from '@aws-sdk/client-bedrock-runtime';
import type { GuardOutcome, GuardSummary } from '../../ports/guardrail';
import { malformedReply } from '../model/model-errors';

/**
 * ApplyGuardrail's answer as the port's outcome. `GUARDRAIL_INTERVENED` is
 * MASKED only when every finding anonymized (sensitive information with
 * ANONYMIZE) and nothing blocked; any other intervention, one this code does
 * not know included, is BLOCKED: the check fails closed.
 *
 * The summary names what intervened (policy, filter, entity types). The
 * assessments' `match` fields hold the text that matched; they are never read.
 */

interface Finding {
  readonly policy: keyof GuardrailAssessment;
  readonly action: string | undefined;
  readonly filter?: string;
  readonly entity?: string;
}

type Intervening = { readonly action?: string; readonly detected?: boolean };

/** An entry that took an action (with `outputScope: FULL`, entries that detected nothing are listed too). */
function acted(entry: Intervening): boolean {
  return entry.action !== undefined && entry.action !== 'NONE' && entry.detected !== false;
}

function findingsOf(assessment: GuardrailAssessment): Finding[] {
  const { topicPolicy, contentPolicy, wordPolicy, sensitiveInformationPolicy, contextualGroundingPolicy } = assessment;
  return [
    ...(topicPolicy?.topics ?? []).filter(acted).map((t): Finding => ({ policy: 'topicPolicy', action: t.action, filter: t.name })),
    ...(contentPolicy?.filters ?? []).filter(acted).map((f): Finding => ({ policy: 'contentPolicy', action: f.action, filter: f.type })),
    // A custom word's only name is the word itself, i.e. the matched text: the policy alone is recorded.
    ...(wordPolicy?.customWords ?? []).filter(acted).map((w): Finding => ({ policy: 'wordPolicy', action: w.action })),
    ...(wordPolicy?.managedWordLists ?? []).filter(acted).map((w): Finding => ({ policy: 'wordPolicy', action: w.action, filter: w.type })),
    ...(sensitiveInformationPolicy?.piiEntities ?? []).filter(acted).map((p): Finding => ({ policy: 'sensitiveInformationPolicy', action: p.action, entity: p.type })),
    ...(sensitiveInformationPolicy?.regexes ?? []).filter(acted).map((r): Finding => ({ policy: 'sensitiveInformationPolicy', action: r.action, entity: r.name })),
    ...(contextualGroundingPolicy?.filters ?? []).filter(acted).map((f): Finding => ({ policy: 'contextualGroundingPolicy', action: f.action, filter: f.type })),
  ];
}

/** Automated reasoning findings carry no action; their kinds (`invalid`, `impossible`) are named, the decision is the others'. */
function reasoningKinds(assessment: GuardrailAssessment): string[] {
  return (assessment.automatedReasoningPolicy?.findings ?? []).flatMap((finding) => Object.keys(finding).filter((kind) => kind !== '$unknown'));
}

function sortedNames(names: readonly (string | undefined)[]): string[] {
  return [...new Set(names.filter((name): name is string => typeof name === 'string' && name.length > 0))].sort();
}

function summaryOf(findings: readonly Finding[], reasoning: readonly string[]): GuardSummary {
  return {
    policies: sortedNames([...findings.map((f) => f.policy), ...(reasoning.length > 0 ? ['automatedReasoningPolicy'] : [])]),
    filters: sortedNames([...findings.map((f) => f.filter), ...reasoning]),
    entities: sortedNames(findings.map((f) => f.entity)),
  };
}

export function guardOutcomeOf(operation: string, response: ApplyGuardrailResponse): GuardOutcome {
  if (response.action === 'NONE') return { action: 'NONE' };
  if (response.action !== 'GUARDRAIL_INTERVENED') {
    throw malformedReply(operation, `its action is ${JSON.stringify(String(response.action).slice(0, 40))}, neither NONE nor GUARDRAIL_INTERVENED`);
  }
  const assessments = response.assessments ?? [];
  const findings = assessments.flatMap(findingsOf);
  const summary = summaryOf(findings, assessments.flatMap(reasoningKinds));
  const outputs = response.outputs ?? [];
  if (outputs.length === 0 || outputs.some((output) => typeof output.text !== 'string')) {
    throw malformedReply(operation, 'it intervened without an output text (the blocked message or the masked text)');
  }
  const text = outputs.map((output) => output.text).join('');
  const masksOnly = findings.length > 0 && findings.every((finding) => finding.action === 'ANONYMIZED');
  return masksOnly ? { action: 'MASKED', text, summary } : { action: 'BLOCKED', message: text, summary };
}
