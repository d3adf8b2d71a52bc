import type { CfnValue, PolicyDocument, PolicyStatement } from './cfn-types';
import type { StackArtifact } from './load-assembly';
import { asList, isObject, type TargetResolver } from './resolve';

/** IAM policy documents in words: who, what, on what, under which conditions. */

export interface ConditionText {
  readonly operator: string;
  readonly key: string;
  readonly values: string[];
}

export interface StatementText {
  readonly sid?: string;
  readonly effect: string;
  readonly principal?: string;
  /** `Action` or `NotAction` list, rendered. */
  readonly actions: string[];
  readonly notAction: boolean;
  readonly resources: string[];
  readonly conditions: ConditionText[];
}

export function statementsOf(doc: CfnValue): PolicyStatement[] {
  return isObject(doc) ? asList((doc as PolicyDocument).Statement).filter(isObject) as PolicyStatement[] : [];
}

export function conditionsOf(resolver: TargetResolver, stack: StackArtifact, condition: PolicyStatement['Condition']): ConditionText[] {
  const out: ConditionText[] = [];
  for (const [operator, keys] of Object.entries(condition ?? {})) {
    for (const [key, values] of Object.entries(keys ?? {})) {
      out.push({ operator, key, values: asList(values).map((v) => resolver.render(stack, v)) });
    }
  }
  return out;
}

/** `AWS: arn:...:root`, `Service: lambda...`, `*`. */
export function principalText(resolver: TargetResolver, stack: StackArtifact, principal: CfnValue): string | undefined {
  if (principal === undefined) return undefined;
  if (typeof principal === 'string') return principal;
  if (!isObject(principal)) return resolver.render(stack, principal);
  return Object.entries(principal)
    .map(([kind, v]) => `${kind}: ${asList(v).map((x) => resolver.render(stack, x)).join(', ')}`)
    .join('; ');
}

export function statementText(resolver: TargetResolver, stack: StackArtifact, s: PolicyStatement): StatementText {
  const notAction = s.NotAction !== undefined;
  return {
    sid: s.Sid,
    effect: s.Effect ?? 'Allow',
    principal: principalText(resolver, stack, s.Principal ?? s.NotPrincipal),
    actions: asList(notAction ? s.NotAction : s.Action).map((a) => resolver.render(stack, a)),
    notAction,
    resources: asList(s.Resource ?? s.NotResource).map((r) => resolver.render(stack, r)),
    conditions: conditionsOf(resolver, stack, s.Condition),
  };
}

export function conditionSentence(c: ConditionText): string {
  return `${c.key} ${c.operator} ${c.values.join(' | ')}`;
}

/** Compress a long action list: `dynamodb:*, s3:*, ... (16 actions)`. */
export function actionList(actions: string[], max = 8): string {
  if (actions.length <= max) return actions.join(', ');
  return `${actions.slice(0, max).join(', ')}, ... (${actions.length} actions)`;
}

/** One line: `Deny all actions except iam:*, ... on * when aws:RequestedRegion StringNotEquals us-gov-west-1`. */
export function statementSentence(t: StatementText, maxActions = 8): string {
  const what = t.notAction ? `every action except ${actionList(t.actions, maxActions)}` : actionList(t.actions, maxActions);
  const on = t.resources.length > 0 ? ` on ${t.resources.join(', ')}` : '';
  const who = t.principal ? ` to ${t.principal}` : '';
  const when = t.conditions.length > 0 ? ` when ${t.conditions.map(conditionSentence).join(' and ')}` : '';
  return `${t.effect} ${what}${on}${who}${when}`;
}
