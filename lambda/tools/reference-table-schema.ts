/**
 * Moved to lib/contract/reference-table.ts. This re-export remains only for
 * test/e2e/support/synthesized-runtime.ts until it imports the contract; delete it then.
 */
export { REFERENCE_TABLE_SCHEMA } from '../../lib/contract/reference-table';
