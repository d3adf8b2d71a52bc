/**
 * Adding a tool breaks no test that derives from the declarations. The
 * catalog here has one more tool (lookup_employee, a DynamoDB lookup with its
 * own key attribute, which every target enables by default), and the suites
 * below run again, unchanged, against it: each reads the tools a target runs
 * from the catalog or from the declarations its stack passed, none lists them.
 */
jest.mock('../../../lib/tools/catalog', () =>
  jest.requireActual('./support/lookup-employee').catalogWithLookupEmployee(jest.requireActual('../../../lib/tools/catalog')),
);

import { TOOL_CATALOG } from '../../../lib/tools/catalog';
import { parseConfig } from '../../../lib/config/load';
import { LOOKUP_EMPLOYEE } from './support/lookup-employee';

test('the catalog has the added tool, and every target enables it by default', () => {
  expect(TOOL_CATALOG.at(-1)).toBe(LOOKUP_EMPLOYEE);
  for (const target of Object.values(parseConfig().targets)) expect(target.tools.enabled).toContain(LOOKUP_EMPLOYEE.name);
});

// Each suite registers its tests here, under the mocked catalog.
describe('tool-workflow.test.ts, with lookup_employee', () => {
  require('./tool-workflow.test');
});
describe('tools-config.test.ts, with lookup_employee', () => {
  require('./tools-config.test');
});
describe('fast-workflow-execution.test.ts, with lookup_employee', () => {
  require('./fast-workflow-execution.test');
});
describe('tool-policy.test.ts, with lookup_employee', () => {
  require('../../lambda/core/domain/tool-policy.test');
});
describe('approval-flow.test.ts, with lookup_employee', () => {
  require('../../e2e/approval-flow.test');
});
