import type { ToolSpec } from '../../../../../../lambda/core/ports/model-backend';

/** The tool the scripted conversations offer the model. */
export const LOOKUP: ToolSpec = {
  name: 'lookup_case',
  description: 'Find a case by number',
  inputSchema: { type: 'object', properties: { caseNumber: { type: 'string' } }, required: ['caseNumber'] },
};
