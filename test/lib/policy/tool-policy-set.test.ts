import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CedarToolAuthorizer } from '../../../lambda/core/adapters/cedar-policy';
import { ToolPolicy } from '../../../lambda/core/domain/tool-policy';
import { ConfigError, parseConfig } from '../../../lib/config/load';
import type { JsonValue } from '../../../lib/contract/json';
import { modelToolDeclaration } from '../../../lib/contract/tool-declaration';
import { tenantToolPolicies } from '../../../lib/policy/tenant-tool-policies';
import { toolPolicySchema } from '../../../lib/policy/tool-policy-schema';
import { ToolPolicyError, ToolPolicySet } from '../../../lib/policy/tool-policy-set';
import { findTool, TOOL_CATALOG } from '../../../lib/tools/catalog';
import { synthStatehouse } from '../../helpers/synth';

/**
 * Synth-time validation of the tool policy: every .cedar file is parsed and
 * validated against lib/policy/statehouse.cedarschema, filled in with the
 * target's tenants, agents and enabled tools; a problem fails synth as a
 * configuration error naming the file, line and column.
 */

const FIXTURES = 'test/lib/policy/fixtures';
const ROLE = 'arn:aws-us-gov:iam::111122223333:role/staff/CaseWorkerDenver';
const TOOLS = TOOL_CATALOG.map(modelToolDeclaration);

/** GovWest with one tenant, and the given tool settings. */
const govWest = (tools: Record<string, unknown>) => ({ targets: { GovWest: { tenants: { county: [ROLE] }, tools } } });

function configProblems(overrides: unknown): string[] {
  try {
    parseConfig(overrides);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems.map((p) => `${p.path}: ${p.message}`);
    throw error;
  }
  return [];
}

function scratchFile(name: string, text: string): string {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'statehouse-policy-')), name);
  fs.writeFileSync(file, text);
  return file;
}

describe('the schema of a target', () => {
  test('tenants, agents and enabled tools are the only ids of their types; ToolInput holds the tools\' input fields', () => {
    const schema = toolPolicySchema({ tools: TOOLS, tenants: ['county'], agents: ['assistant'] });
    expect(schema.text).toContain('entity Tenant enum ["county"]');
    expect(schema.text).toContain('entity Agent enum ["assistant"]');
    expect(schema.text).toContain(`entity Tool enum [${TOOLS.map((t) => JSON.stringify(t.name)).join(', ')}]`);
    expect(schema.text).toMatch(/caseId\?: __cedar::String/);
    expect(schema.text).toMatch(/businessDays\?: __cedar::Long/);
    expect(schema.text).toMatch(/recordIds\?: Set<__cedar::String>/);
    expect(schema.text).toMatch(/entity Actor in \[Tenant\] = \{[^}]*office\?: String/);
    expect(schema.omittedInputFields).toEqual([]);
  });

  test('a field Cedar cannot type, or two tools type differently, is left out of ToolInput, and a policy reading it is told why', () => {
    const fork = (name: string, properties: Record<string, JsonValue>) => ({ name, inputSchema: { type: 'object', properties } });
    const tools = [fork('pay_fee', { amount: { type: 'number' }, caseId: { type: 'string' } }), fork('count_pages', { caseId: { type: 'integer' } })];
    const schema = toolPolicySchema({ tools });
    expect(schema.omittedInputFields).toEqual([
      'amount ("pay_fee" declares it with a type Cedar has none for, such as number)',
      'caseId ("pay_fee" and "count_pages" declare it with different types)',
    ]);
    const file = scratchFile('fee.cedar', 'forbid (principal, action, resource) when { context.input has amount && context.input.amount > 100 };\n');
    expect(() => ToolPolicySet.of({ files: [file] }, { tools })).toThrow(/fee\.cedar:1:1: policy is impossible.*\(context\.input has no amount \("pay_fee" declares it/);
  });
});

describe('a policy that does not validate fails synth, naming the file and the line', () => {
  test('a syntax error: the configuration error names the policyFiles entry, the file, its line and column', () => {
    const overrides = govWest({ policyFiles: [`${FIXTURES}/bad-syntax.cedar`] });
    expect(configProblems(overrides)).toEqual([
      `targets.GovWest.tools.policyFiles[0]: ${FIXTURES}/bad-syntax.cedar:3:8: does not parse: '=' is not a valid operator in Cedar (try using '==' instead)`,
    ]);
    // The app's synth stops there: bin/statehouse.ts prints the configuration error and exits 1.
    expect(() => synthStatehouse({ targets: 'GovWest', overrides })).toThrow(new RegExp(`bad-syntax\\.cedar:3:8: does not parse`));
  });

  test('an attribute the schema does not declare; behind `has`, the forbid could never apply, which fails too', () => {
    expect(configProblems(govWest({ policyFiles: [`${FIXTURES}/unknown-attribute.cedar`] }))).toEqual([
      `targets.GovWest.tools.policyFiles[0]: ${FIXTURES}/unknown-attribute.cedar:4:8: attribute \`department\` on entity type \`Statehouse::Actor\` not found (did you mean \`office\`?)`,
    ]);
    const guarded = scratchFile('guarded.cedar', 'forbid (principal, action, resource)\nwhen { principal has department && principal.department == "legal" };\n');
    expect(() => ToolPolicySet.of({ files: [guarded] }, { tools: TOOLS })).toThrow(/guarded\.cedar:1:1: policy is impossible/);
  });

  test('a tenant, agent or tool the target does not have, and an optional attribute read without `has`', () => {
    const file = scratchFile(
      'names.cedar',
      [
        'forbid (principal in Statehouse::Tenant::"agency-z", action == Statehouse::Action::"callTool", resource);',
        'forbid (principal, action == Statehouse::Action::"callTool", resource == Statehouse::Tool::"drop_tables");',
        'forbid (principal, action == Statehouse::Action::"callTool", resource) when { context.agent == Statehouse::Agent::"ghost" };',
        'forbid (principal, action == Statehouse::Action::"callTool", resource) unless { context.input.caseId like "DEN-*" };',
        '',
      ].join('\n'),
    );
    const problems = configProblems(govWest({ policyFiles: [file] })).map((p) => p.replace(file, 'names.cedar'));
    expect(problems).toEqual([
      expect.stringMatching(/names\.cedar:1:\d+: entity `Statehouse::Tenant::"agency-z"` is of an enumerated entity type, but `"agency-z"` is not declared as a valid eid \(valid entity eids: "county"\)$/),
      expect.stringMatching(/names\.cedar:2:\d+: entity `Statehouse::Tool::"drop_tables"` is of an enumerated entity type/),
      expect.stringMatching(/names\.cedar:3:\d+: entity `Statehouse::Agent::"ghost"` is of an enumerated entity type, .*valid entity eids: "assistant"/),
      expect.stringMatching(/names\.cedar:4:\d+: unable to guarantee safety of access to optional attribute `input\.caseId`.*context\.input has caseId/),
    ]);
  });

  test('a file that cannot be read, and a template', () => {
    const template = scratchFile('template.cedar', 'permit (principal == ?principal, action, resource);\n');
    expect(configProblems(govWest({ policyFiles: ['policy/missing.cedar', template] }))).toEqual([
      expect.stringMatching(/^targets\.GovWest\.tools\.policyFiles\[0\]: policy\/missing\.cedar: cannot be read \(ENOENT/),
      expect.stringMatching(/^targets\.GovWest\.tools\.policyFiles\[1\]: .*template\.cedar: static policy set includes a template$/),
    ]);
  });
});

describe('actor attributes', () => {
  test('an attribute Statehouse::Actor does not declare, one the identity sets, and a role of no tenant are configuration errors', () => {
    expect(configProblems(govWest({ actors: { [ROLE]: { department: 'legal' } } }))).toEqual([
      expect.stringMatching(new RegExp(`^targets\\.GovWest\\.tools\\.actors\\.${ROLE.replace(/[/.]/g, '\\$&')}: tools\\.actors \\(.*\\): .*attribute \`department\`.*should not exist according to the schema; declare the attribute on Statehouse::Actor`)),
    ]);
    expect(configProblems(govWest({ actors: { [ROLE]: { sessionName: 'alice' } } }))).toEqual([expect.stringContaining("sessionName come from the caller's identity")]);
    expect(configProblems(govWest({ actors: { 'arn:aws-us-gov:iam::111122223333:role/Nobody': { office: 'DEN' } } }))).toEqual([
      `targets.GovWest.tools.actors.arn:aws-us-gov:iam::111122223333:role/Nobody: "arn:aws-us-gov:iam::111122223333:role/Nobody" is not a role of this target's tenants; map it to a tenant under tenants first, or remove its attributes.`,
    ]);
  });

  test('the attributes ship keyed by the path-free role ARN, the key the orchestrator finds callers by', () => {
    const set = ToolPolicySet.of({ actors: { [ROLE]: { office: 'DEN' } } }, { tools: TOOLS });
    expect(set.document.actors).toEqual({ 'arn:aws-us-gov:iam::111122223333:role/CaseWorkerDenver': { office: 'DEN' } });
  });
});

describe('tools.policy, the tenant map, as Cedar', () => {
  const MAP = { 'agency-b': ['compute_deadline'], 'agency-c': [] };

  test('each tenant listed is one forbid of every other tool; one with none, an unconditional forbid', () => {
    expect(tenantToolPolicies(MAP)).toEqual({
      'tools.policy.agency-b':
        'forbid (principal in Statehouse::Tenant::"agency-b", action == Statehouse::Action::"callTool", resource)\nunless { resource in [Statehouse::Tool::"compute_deadline"] };',
      'tools.policy.agency-c': 'forbid (principal in Statehouse::Tenant::"agency-c", action == Statehouse::Action::"callTool", resource);',
    });
  });

  test('shipped with the default policy, it offers each tenant what the map itself offers', () => {
    const tools = ['compute_deadline', 'release_records'].map((name) => modelToolDeclaration(findTool(name)!));
    const cedar = ToolPolicy.of(tools, CedarToolAuthorizer.of(ToolPolicySet.of({ tenantTools: MAP }, { tools }).document));
    const map = ToolPolicy.of(tools, MAP);
    for (const tenant of ['agency-a', 'agency-b', 'agency-c']) {
      expect(cedar.toolsFor(tenant).map((t) => t.name)).toEqual(map.toolsFor(tenant).map((t) => t.name));
    }
  });
});

test('a set validated for other tools than a workflow runs is refused', () => {
  const set = ToolPolicySet.of({}, { tools: TOOLS.slice(0, 1) });
  expect(ToolPolicySet.for(set, TOOLS.slice(0, 1))).toBe(set);
  expect(() => ToolPolicySet.for(set, TOOLS)).toThrow(/validated for the tools lookup_case, but the workflow runs lookup_case, compute_deadline/);
  expect(() => ToolPolicySet.of({ files: ['nope.cedar'] }, { tools: TOOLS })).toThrow(ToolPolicyError);
});
