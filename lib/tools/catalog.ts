import * as path from 'node:path';
import { KnowledgeBaseAccess, ReferenceAccess, type ToolDeclaration } from '../contract/tool-declaration';

/** The handler entry of a kit tool: `lambda/tools/<folder>/index.ts`. */
function toolEntry(folder: string): string {
  return path.join(__dirname, '..', '..', 'lambda', 'tools', folder, 'index.ts');
}

/**
 * The tools this kit ships. Each shows one pattern:
 * - lookup_case: an AWS SDK integration (DynamoDB GetItem of the caller's tenant), no Lambda;
 * - compute_deadline: a Lambda tool with no data access;
 * - search_knowledge_base: a Lambda tool that retrieves from a Bedrock knowledge base, only where the region offers it;
 * - release_records: a slow Lambda tool that a records officer must approve first, and that records its action.
 *
 * The constructs never read this list: lib/stacks passes the enabled ones as props.
 */
export const TOOL_CATALOG: readonly ToolDeclaration[] = [
  {
    name: 'lookup_case',
    description: 'Look up a case record by its id in the agency reference table. Returns the stored record or nothing.',
    inputSchema: {
      type: 'object',
      properties: { caseId: { type: 'string', pattern: '^[A-Z]{2,6}-[0-9]{1,10}$', description: 'Case id such as FOIA-4411' } },
      required: ['caseId'],
      additionalProperties: false,
    },
    implementation: { kind: 'dynamodb-get-item', keyAttribute: 'caseId' },
    timeoutSeconds: 5,
    mode: 'fast',
  },
  {
    name: 'compute_deadline',
    description: 'Compute a statutory deadline: the date a number of business days (US federal holidays excluded) after a start date.',
    inputSchema: {
      type: 'object',
      properties: {
        startDate: { type: 'string', format: 'date', description: 'ISO date, e.g. 2026-11-20' },
        businessDays: { type: 'integer', minimum: 1, maximum: 365 },
      },
      required: ['startDate', 'businessDays'],
      additionalProperties: false,
    },
    implementation: { kind: 'lambda', entry: toolEntry('compute-deadline') },
    timeoutSeconds: 5,
    mode: 'fast',
  },
  {
    name: 'search_knowledge_base',
    description: "Search the agency's knowledge base (policies, procedures) and return the most relevant passages.",
    inputSchema: {
      type: 'object',
      properties: {
        query: { type: 'string', minLength: 3, maxLength: 1000 },
        maxResults: { type: 'integer', minimum: 1, maximum: 10 },
      },
      required: ['query'],
      additionalProperties: false,
    },
    implementation: { kind: 'lambda', entry: toolEntry('kb-retrieve') },
    dataAccess: { knowledgeBase: KnowledgeBaseAccess.RETRIEVE },
    timeoutSeconds: 15,
    mode: 'fast',
    requiresCapability: 'bedrock:knowledge-bases',
  },
  {
    name: 'release_records',
    description: 'Release a set of case records to the requester. A records officer must approve the release first.',
    inputSchema: {
      type: 'object',
      properties: {
        caseId: { type: 'string', pattern: '^[A-Z]{2,6}-[0-9]{1,10}$' },
        recordIds: { type: 'array', items: { type: 'string', pattern: '^[A-Za-z0-9-]{1,64}$' }, minItems: 1, maxItems: 50 },
        justification: { type: 'string', minLength: 10, maxLength: 2000 },
      },
      required: ['caseId', 'recordIds', 'justification'],
      additionalProperties: false,
    },
    implementation: { kind: 'lambda', entry: toolEntry('release-records') },
    dataAccess: { referenceTable: ReferenceAccess.RECORD },
    timeoutSeconds: 30,
    mode: 'slow',
    approval: { approverRoles: ['RecordsOfficer'], timeoutSeconds: 3 * 24 * 3600 },
  },
];

export function findTool(name: string): ToolDeclaration | undefined {
  return TOOL_CATALOG.find((tool) => tool.name === name);
}
