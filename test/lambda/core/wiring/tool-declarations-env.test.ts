import { ENV } from '../../../../lib/contract/env-names';
import { modelToolDeclaration } from '../../../../lib/contract/tool-declaration';
import { readToolEnv } from '../../../../lambda/core/wiring/tool-wiring';
import { TOOL_CATALOG } from '../../../../lib/tools/catalog';

/**
 * How the enabled tools reach the orchestrator: ToolWorkflow writes their
 * model-facing declarations into ENV.TOOLS; the orchestrator reads them at
 * cold start, with no catalog of its own.
 */
const ARNS = {
  [ENV.FAST_TOOLS_STATE_MACHINE]: 'arn:aws-us-gov:states:us-gov-west-1:111122223333:stateMachine:statehouse-govwest-tools-fast',
  [ENV.SLOW_TOOLS_STATE_MACHINE]: 'arn:aws-us-gov:states:us-gov-west-1:111122223333:stateMachine:statehouse-govwest-tools-slow',
};

describe('ENV.TOOLS: the enabled tools\' model-facing declarations', () => {
  test('every catalog tool, written as ToolWorkflow writes it, reads back as the same declaration', () => {
    const written = TOOL_CATALOG.map(modelToolDeclaration);
    const { enabled } = readToolEnv({ ...ARNS, [ENV.TOOLS]: JSON.stringify(written) });
    expect(enabled).toEqual(written);
    // What the orchestrator never receives: the code location and the data access.
    const modelFacing = ['name', 'description', 'inputSchema', 'timeoutSeconds', 'mode', 'approval'];
    for (const tool of enabled) expect(Object.keys(tool).filter((key) => !modelFacing.includes(key))).toEqual([]);
  });

  test('a tool the catalog does not have (a fork\'s) needs no code change on the Lambda side', () => {
    const fork = { name: 'count_pages', description: 'Count the pages of a record.', inputSchema: { type: 'object' }, timeoutSeconds: 3, mode: 'fast' };
    expect(readToolEnv({ ...ARNS, [ENV.TOOLS]: JSON.stringify([fork]) }).enabled).toEqual([fork]);
  });

  test.each<[string, unknown, RegExp]>([
    ['a tool name instead of a declaration', ['lookup_case'], /STATEHOUSE_TOOLS\[0\] is "lookup_case", which is not a tool declaration/],
    ['a declaration with its code location', [{ ...TOOL_CATALOG[0] }], /STATEHOUSE_TOOLS\[0\] is not a tool declaration \(.*implementation/],
    ['a name the model cannot call', [{ ...modelToolDeclaration(TOOL_CATALOG[0]), name: 'Drop Tables' }], /STATEHOUSE_TOOLS\[0\] is not a tool declaration \(name: must match/],
    ['not an array', { lookup_case: true }, /must be a JSON array of tool declarations/],
  ])('%s fails the cold start, naming the setting', (_case, value, message) => {
    expect(() => readToolEnv({ ...ARNS, [ENV.TOOLS]: JSON.stringify(value) })).toThrow(message);
  });
});
