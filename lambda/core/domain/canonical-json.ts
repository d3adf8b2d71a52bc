/** Deterministic JSON for hashes and digests; defined once in the contract, so the CDK side digests agent definitions the same way. */
export { canonicalJson, type JsonValue } from '../../../lib/contract/json';
