import * as path from 'node:path';
import { CedarToolAuthorizer } from '../../../../lambda/core/adapters/cedar-policy';
import { actorIdentity, isSameParty } from '../../../../lambda/core/domain/actor';
import { executionNameFor, pendingToolFor, slowToolRunInput, statusWhilePending } from '../../../../lambda/core/domain/pending-tool';
import { toolInputProblems } from '../../../../lambda/core/domain/tool-input';
import { ToolConfigError, ToolPolicy } from '../../../../lambda/core/domain/tool-policy';
import { findTool, TOOL_CATALOG } from '../../../../lib/tools/catalog';
import { modelToolDeclaration, type ModelToolDeclaration } from '../../../../lib/contract/tool-declaration';
import type { ActorAttributes } from '../../../../lib/contract/tool-policy';
import { DEFAULT_TOOL_POLICY_FILES, ToolPolicySet } from '../../../../lib/policy/tool-policy-set';

/** A catalog tool as the orchestrator receives it: its model-facing declaration (what ToolWorkflow writes). */
const tool = (name: string): ModelToolDeclaration => {
  const found = findTool(name);
  if (!found) throw new Error(`${name} is not in the catalog`);
  return modelToolDeclaration(found);
};
const ENABLED = [tool('compute_deadline'), tool('release_records')];

describe('ToolPolicy', () => {
  test('a tenant without a policy is offered every enabled tool; a listed tenant only its own', () => {
    const policy = ToolPolicy.of(ENABLED, { 'agency-b': ['compute_deadline'], 'agency-c': [] });
    expect(policy.specsFor('agency-a').map((spec) => spec.name)).toEqual(['compute_deadline', 'release_records']);
    expect(policy.specsFor('agency-b').map((spec) => spec.name)).toEqual(['compute_deadline']);
    expect(policy.specsFor('agency-c')).toEqual([]);
    expect(policy.specsFor('agency-a')[0]).toEqual({
      name: 'compute_deadline',
      description: tool('compute_deadline').description,
      inputSchema: tool('compute_deadline').inputSchema,
    });
  });

  test('a call runs only if its tool is enabled and allowed and its input matches; the refusals say so without telling which', () => {
    const policy = ToolPolicy.of(ENABLED, { 'agency-b': ['compute_deadline'] });
    const input = { startDate: '2026-11-20', businessDays: 3 };
    expect(policy.check('agency-a', { id: 'c', name: 'compute_deadline', input })).toEqual({ ok: true, tool: tool('compute_deadline') });

    const forbidden = policy.check('agency-b', { id: 'c', name: 'release_records', input: {} });
    const unknown = policy.check('agency-b', { id: 'c', name: 'drop_tables', input: {} });
    const disabled = policy.check('agency-a', { id: 'c', name: 'lookup_case', input: { caseId: 'FOIA-1' } });
    for (const [check, name] of [[forbidden, 'release_records'], [unknown, 'drop_tables'], [disabled, 'lookup_case']] as const) {
      expect(check).toEqual({ ok: false, output: { ok: false, error: 'not_allowed', message: `tool "${name}" is not available in this session` } });
    }
    expect(policy.check('agency-a', { id: 'c', name: 'compute_deadline', input: { startDate: 'soon' } })).toMatchObject({
      ok: false,
      output: { error: 'invalid_input' },
    });
  });

  test('a policy naming a tool that is not enabled, or a tool enabled twice, is a configuration error', () => {
    expect(() => ToolPolicy.of(ENABLED, { 'agency-a': ['lookup_case'] })).toThrow(ToolConfigError);
    expect(() => ToolPolicy.of([...ENABLED, tool('compute_deadline')])).toThrow(ToolConfigError);
  });
});

describe('ToolPolicy with Cedar policies', () => {
  const FIXTURES = path.join(__dirname, '..', '..', '..', 'lib', 'policy', 'fixtures');
  const ROLE = (name: string) => `arn:aws-us-gov:iam::111122223333:role/${name}`;
  const DENVER = { actor: `${ROLE('CaseWorkerDenver')}#alice`, agent: 'intake' };
  const BOSTON = { actor: `${ROLE('CaseWorkerBoston')}#bob`, agent: 'intake' };
  const NO_OFFICE = { actor: `${ROLE('Clerk')}#carol`, agent: 'intake' };
  const OFFICES: Record<string, ActorAttributes> = { [ROLE('CaseWorkerDenver')]: { office: 'DEN' }, [ROLE('CaseWorkerBoston')]: { office: 'BOS' } };
  const TOOLS = [tool('lookup_case'), tool('compute_deadline'), tool('release_records')];

  /** The policy as deployed: the files validated at synth, shipped as ENV.TOOL_POLICY, parsed by the orchestrator. */
  function cedarPolicy(files: string[], source: { tenantTools?: Record<string, string[]>; actors?: Record<string, ActorAttributes> } = {}): ToolPolicy {
    const set = ToolPolicySet.of(
      { files: [...DEFAULT_TOOL_POLICY_FILES, ...files.map((file) => path.join(FIXTURES, file))], ...source },
      { tools: TOOLS, tenants: ['county', 'agency-b'], agents: ['intake', 'records'] },
    );
    return ToolPolicy.of(TOOLS, CedarToolAuthorizer.of(JSON.parse(JSON.stringify(set.document))));
  }
  const lookup = (caseId: string) => ({ id: `c-${caseId}`, name: 'lookup_case', input: { caseId } });
  const release = { id: 'r', name: 'release_records', input: { caseId: 'DEN-1001', recordIds: ['a-1'], justification: 'FOIA request 4411 approved' } };

  test('the default policy permits every enabled tool; the tenant map forbids a listed tenant the others, offered or called', () => {
    const policy = cedarPolicy([], { tenantTools: { 'agency-b': ['compute_deadline'] } });
    expect(policy.specsFor('county', DENVER).map((spec) => spec.name)).toEqual(['lookup_case', 'compute_deadline', 'release_records']);
    expect(policy.specsFor('agency-b', DENVER).map((spec) => spec.name)).toEqual(['compute_deadline']);
    expect(policy.check('county', lookup('FOIA-1'), DENVER)).toEqual({ ok: true, tool: tool('lookup_case') });
    expect(policy.check('agency-b', lookup('FOIA-1'), DENVER)).toEqual({
      ok: false,
      output: { ok: false, error: 'not_allowed', message: 'tool "lookup_case" is not available in this session' },
    });
  });

  test('a condition on the tool input: the same tool, two calls, decided by the case id against the caller\'s office', () => {
    // GIVEN the office policy and the offices of two roles
    const policy = cedarPolicy(['own-office-cases.cedar'], { actors: OFFICES });

    // WHEN Denver's case worker looks up a Denver case and a Boston case
    const own = policy.check('county', lookup('DEN-1001'), DENVER);
    const other = policy.check('county', lookup('BOS-2002'), DENVER);

    // THEN the first runs; the second is refused, never run, with the policy that refused it
    expect(own).toEqual({ ok: true, tool: tool('lookup_case') });
    expect(other).toEqual({
      ok: false,
      output: { ok: false, error: 'not_allowed', message: 'the tool policy does not allow this call of "lookup_case"; do not retry it with the same input' },
      deniedBy: [`${path.relative(path.join(__dirname, '..', '..', '..', '..'), path.join(FIXTURES, 'own-office-cases.cedar'))}:5`],
    });
    expect(policy.check('county', lookup('BOS-2002'), BOSTON)).toMatchObject({ ok: true });
    // The tool is offered to both, since some input is allowed; a caller without an office is not offered it at all.
    expect(policy.specsFor('county', DENVER).map((spec) => spec.name)).toContain('lookup_case');
    expect(policy.specsFor('county', NO_OFFICE).map((spec) => spec.name)).toEqual(['compute_deadline', 'release_records']);
    expect(policy.check('county', lookup('DEN-1001'), NO_OFFICE)).toMatchObject({ ok: false, output: { message: 'tool "lookup_case" is not available in this session' } });
  });

  test('a condition on the agent: only the records agent is offered and may run release_records', () => {
    const policy = cedarPolicy(['records-agent-releases.cedar']);
    expect(policy.specsFor('county', { ...DENVER, agent: 'intake' }).map((spec) => spec.name)).not.toContain('release_records');
    expect(policy.specsFor('county', { ...DENVER, agent: 'records' }).map((spec) => spec.name)).toContain('release_records');
    expect(policy.check('county', release, { ...DENVER, agent: 'intake' })).toMatchObject({ ok: false, output: { error: 'not_allowed' } });
    expect(policy.check('county', release, { ...DENVER, agent: 'records' })).toMatchObject({ ok: true });
  });

  test('fail closed: a policy that cannot be evaluated for a caller (no agent named) denies, where Cedar alone would skip that forbid', () => {
    const policy = cedarPolicy(['records-agent-releases.cedar']);
    expect(policy.check('county', release, { actor: DENVER.actor })).toMatchObject({ ok: false, output: { error: 'not_allowed' } });
    // Policies that do not read the agent still decide as written.
    expect(policy.check('county', lookup('FOIA-1'), { actor: DENVER.actor })).toMatchObject({ ok: true });
  });
});

describe('toolInputProblems (ajv, JSON schema draft 2020-12)', () => {
  test('every catalog schema compiles, and a valid input passes', () => {
    expect(TOOL_CATALOG.length).toBeGreaterThan(0);
    for (const declaration of TOOL_CATALOG) expect(() => ToolPolicy.of([modelToolDeclaration(declaration)])).not.toThrow();
    expect(toolInputProblems(tool('lookup_case'), { caseId: 'FOIA-4411' })).toBeUndefined();
    expect(toolInputProblems(tool('search_knowledge_base'), { query: 'retention schedule', maxResults: 3 })).toBeUndefined();
  });

  test.each<[string, unknown, string]>([
    ['a missing required field', { startDate: '2026-11-20' }, "input must have required property 'businessDays'"],
    ['an impossible date (formats are checked)', { startDate: '2026-02-30', businessDays: 1 }, 'input/startDate must match format "date"'],
    ['a number out of range', { startDate: '2026-11-20', businessDays: 366 }, 'input/businessDays must be <= 365'],
    ['an unknown field', { startDate: '2026-11-20', businessDays: 1, tenant: 'agency-b' }, 'must NOT have additional properties ("tenant")'],
    ['not an object', 'tomorrow', 'input must be object'],
  ])('%s is refused with a reason', (_case, input, reason) => {
    expect(toolInputProblems(tool('compute_deadline'), input)).toContain(reason);
  });

  test('a huge input lists a bounded number of problems', () => {
    const input = { caseId: 'x', recordIds: Array.from({ length: 60 }, () => '#'), justification: '' };
    expect(toolInputProblems(tool('release_records'), input)?.split('; ').length).toBeLessThanOrEqual(5);
  });

  test("a declaration outside the catalog (a fork's) is compiled when enabled; a schema strict mode refuses fails then", () => {
    const fork: ModelToolDeclaration = {
      ...tool('compute_deadline'),
      name: 'fork_tool',
      inputSchema: { type: 'object', properties: { x: { type: 'number' } }, required: ['x'] },
    };
    expect(() => ToolPolicy.of([fork])).not.toThrow();
    expect(toolInputProblems(fork, {})).toContain("required property 'x'");
    expect(toolInputProblems(fork, { x: 1 })).toBeUndefined();
    const sloppy: ModelToolDeclaration = { ...fork, name: 'sloppy_tool', inputSchema: { type: 'object', required: ['x'] } };
    expect(() => ToolPolicy.of([sloppy])).toThrow(/input schema of "sloppy_tool" does not compile/);
  });
});

describe('actors and separation of duties', () => {
  const role = 'arn:aws-us-gov:iam::111122223333:role';
  test('an actor names its role and role session; an IAM user has neither session nor role', () => {
    expect(actorIdentity(`${role}/RecordsOfficer#olivia`)).toEqual({ principalArn: `${role}/RecordsOfficer`, roleName: 'RecordsOfficer', sessionName: 'olivia' });
    expect(actorIdentity('arn:aws:iam::111122223333:user/ops/auditor')).toEqual({ principalArn: 'arn:aws:iam::111122223333:user/ops/auditor' });
  });

  test('the same actor, or the same role session name under another role, is the same party', () => {
    expect(isSameParty(`${role}/AgencyAApp#alice`, `${role}/AgencyAApp#alice`)).toBe(true);
    expect(isSameParty(`${role}/RecordsOfficer#alice`, `${role}/AgencyAApp#alice`)).toBe(true);
    expect(isSameParty(`${role}/RecordsOfficer#olivia`, `${role}/AgencyAApp#alice`)).toBe(false);
    expect(isSameParty('arn:aws:iam::1:user/a', 'arn:aws:iam::1:user/b')).toBe(false);
  });
});

describe('pending slow calls', () => {
  const call = { id: 'call_0', name: 'release_records', input: { caseId: 'FOIA-1', recordIds: ['a'], justification: 'because of the statute' } };
  const request = { tenant: 'agency-a', session: 's-1', requestId: 'r-1', requestedBy: 'alice' };

  test('the execution name is deterministic, within Step Functions limits, and differs for a reused tool-call id', () => {
    const name = executionNameFor('agency-a', 's-1', 3, 'call_0');
    expect(name).toMatch(/^[A-Za-z0-9_-]{1,80}$/);
    expect(executionNameFor('agency-a', 's-1', 3, 'call_0')).toBe(name);
    expect(executionNameFor('agency-a', 's-1', 9, 'call_0')).not.toBe(name);
    expect(executionNameFor('agency-b', 's-1', 3, 'call_0')).not.toBe(name);
  });

  test('an approval tool waits for approval; its workflow input carries the rule and the requester', () => {
    const pending = pendingToolFor(call, tool('release_records'), 3, request);
    expect(statusWhilePending(pending)).toBe('awaiting_approval');
    expect(slowToolRunInput('agency-a', 's-1', pending)).toEqual({
      tool: 'release_records',
      toolCallId: 'call_0',
      input: call.input,
      tenant: 'agency-a',
      session: 's-1',
      requestId: 'r-1',
      requestedBy: 'alice',
      approvalRequired: true,
      approvalTimeoutSeconds: 3 * 24 * 3600,
    });
    const { approval: _rule, ...noApproval } = tool('release_records');
    expect(statusWhilePending(pendingToolFor(call, noApproval, 3, request))).toBe('awaiting_tool');
  });
});
