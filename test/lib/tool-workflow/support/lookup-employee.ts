import type { ToolDeclaration } from '../../../../lib/contract/tool-declaration';

/**
 * A tool a fork adds: a DynamoDB lookup keyed by its own input field
 * (`employeeId`), not the table's partition key attribute (`caseId`).
 */
export const LOOKUP_EMPLOYEE: ToolDeclaration = {
  name: 'lookup_employee',
  description: 'Look up an agency employee record by employee id. Returns the stored record or nothing.',
  inputSchema: {
    type: 'object',
    properties: { employeeId: { type: 'string', pattern: '^E-[0-9]{1,8}$', description: 'Employee id such as E-1001' } },
    required: ['employeeId'],
    additionalProperties: false,
  },
  implementation: { kind: 'dynamodb-get-item', keyAttribute: 'employeeId' },
  timeoutSeconds: 5,
  mode: 'fast',
};

/**
 * The module lib/tools/catalog.ts with LOOKUP_EMPLOYEE declared after the
 * kit's tools, for `jest.mock(<catalog>, () => catalogWithLookupEmployee(jest.requireActual(<catalog>)))`.
 */
export function catalogWithLookupEmployee(actual: { TOOL_CATALOG: readonly ToolDeclaration[] }) {
  const TOOL_CATALOG = [...actual.TOOL_CATALOG, LOOKUP_EMPLOYEE];
  return { ...actual, TOOL_CATALOG, findTool: (name: string) => TOOL_CATALOG.find((tool) => tool.name === name) };
}
