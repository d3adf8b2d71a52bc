/**
 * The reference table's shape and item keys, shared by the CDK constructs
 * (lib/constructs/reference-data creates the table; the fast workflow's
 * GetItem task builds the key) and the tools that read and write it
 * (lambda/tools), so the two cannot drift. Plain data, no SDK or CDK imports.
 *
 * The table has one string partition key. Every item key is scoped by the
 * tenant that owns the item (AC-3, AC-4: one tenant never reads another's
 * data), and names the field its value identifies:
 *
 *   T#<tenant>#<field>#<value>
 *
 * - an agency record a `dynamodb-get-item` tool looks up: `<field>` is the
 *   tool's keyAttribute, e.g. `T#agency-a#caseId#FOIA-4411`;
 * - a record of a tool's own action: `<field>` is the record kind in upper
 *   case, e.g. `T#agency-a#RELEASE#<session>#<toolCallId>`.
 *
 * Tenant ids hold no `#` (lowercase letters, digits, hyphens) and key
 * attributes start with a lowercase letter, so neither a model-chosen value
 * nor a tool's own record can reach another tenant's or another kind's items.
 */

/** The partition key of the default deployment: unchanged since the first release, as changing a retained table's key replaces it. */
export const DEFAULT_REFERENCE_PARTITION_KEY = 'caseId';

/** The default deployment's table: its key schema and billing, as ReferenceData creates it. */
export const REFERENCE_TABLE_SCHEMA = {
  partitionKey: { name: DEFAULT_REFERENCE_PARTITION_KEY, type: 'S' },
  billingMode: 'PAY_PER_REQUEST',
} as const;

/**
 * The item key as a `States.Format` template: tenant, field, value. The
 * workflow's GetItem task fills it with `$.tenant` (set by the orchestrator
 * from the authenticated caller), the key attribute and `$.input.<keyAttribute>`.
 */
export const REFERENCE_ITEM_KEY_FORMAT = 'T#{}#{}#{}';

/** The key of `tenant`'s item whose `field` is `value`: the same key the workflow's GetItem builds from REFERENCE_ITEM_KEY_FORMAT. */
export function referenceItemKey(tenant: string, field: string, value: string): string {
  const parts = [tenant, field, value];
  return REFERENCE_ITEM_KEY_FORMAT.replace(/\{\}/g, () => parts.shift()!);
}

/** Record kind of a release by the `release_records` tool: key `T#<tenant>#RELEASE#<session>#<toolCallId>`. */
export const RELEASE_RECORD_KIND = 'RELEASE';
