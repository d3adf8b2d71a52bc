import { TOOL_CATALOG } from '../../lib/tools/catalog';
import type { ToolDeclaration } from '../../lib/contract/tool-declaration';

/**
 * The reference table's shape, shared by the CDK construct that creates it
 * (lib/constructs/reference-data) and the tools that read and write it, so
 * the two cannot drift. Plain data, no SDK or CDK imports.
 *
 * The partition key is the `keyAttribute` of the catalog's `dynamodb-get-item`
 * tools. It is read from the whole catalog, not from a target's enabled
 * tools: the key of a retained table must not change when a tool is switched off.
 */

/** Used only by a fork whose catalog has no `dynamodb-get-item` tool. */
const FALLBACK_KEY_ATTRIBUTE = 'id';

export function referenceKeyAttribute(catalog: readonly ToolDeclaration[]): string {
  const keys = [...new Set(catalog.flatMap((tool) => (tool.implementation.kind === 'dynamodb-get-item' ? [tool.implementation.keyAttribute] : [])))];
  if (keys.length > 1) {
    throw new Error(
      `the dynamodb-get-item tools of the catalog look up different key attributes (${keys.join(', ')}); the reference table has one partition key, so give them the same keyAttribute.`,
    );
  }
  return keys[0] ?? FALLBACK_KEY_ATTRIBUTE;
}

export const REFERENCE_TABLE_SCHEMA = {
  partitionKey: { name: referenceKeyAttribute(TOOL_CATALOG), type: 'S' },
  billingMode: 'PAY_PER_REQUEST',
} as const;

/** Items that record a tool's action (not agency records): `RELEASE#<caseId>#<toolCallId>`. */
export const RELEASE_KEY_PREFIX = 'RELEASE#';
