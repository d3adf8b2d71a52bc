import { assertTenantId } from '../domain/session-keys';
import { printable } from './printable';
import { CallerNotAllowedError } from './request-errors';

/** Long enough for any real role-session ARN. */
const MAX_ECHOED_ARN = 256;

/**
 * Tenancy from the authenticated caller only (AC-3, AC-4): the IAM principal
 * API Gateway verified with SigV4, looked up in the deployment's tenant map.
 * Nothing in a request's body, path or query can name a tenant.
 */

/** Who is calling, as far as the session domain is concerned. */
export interface Caller {
  readonly tenant: string;
  /** Recorded as the session owner and on user events: `<role ARN>#<role session name>`, or the role or user ARN. */
  readonly actor: string;
}

/** Principal ARN → tenant, keyed by the normalized ARN (see `principalKey`). */
export type TenantMap = ReadonlyMap<string, string>;

// Partitions are read from the ARN (aws, aws-us-gov, aws-cn, ...), never assumed.
const PARTITION = '[a-z][a-z0-9-]{1,31}';
const ACCOUNT = '\\d{12}';
/** IAM role, user and role-session names: letters, digits and `+=,.@_-`. */
const NAME = '[\\w+=,.@-]{1,64}';
const ASSUMED_ROLE = new RegExp(`^arn:(${PARTITION}):sts::(${ACCOUNT}):assumed-role/(${NAME})/(${NAME})$`);
/** An IAM role or user ARN; the path (`/division/`) is optional. */
const IAM_PRINCIPAL = new RegExp(`^arn:(${PARTITION}):iam::(${ACCOUNT}):(role|user)/(?:[\\x21-\\x7e]*/)?(${NAME})$`);

interface Principal {
  /** The role or user ARN without its path: the tenant map's key. */
  readonly key: string;
  /** The role session name of an assumed role. */
  readonly sessionName?: string;
}

/**
 * An assumed-role ARN names its role without the role's path, so map keys
 * drop the path too: role and user names are unique within an account
 * whatever their path.
 */
function principalOf(arn: string): Principal | undefined {
  const assumed = ASSUMED_ROLE.exec(arn);
  if (assumed) {
    const [, partition, account, roleName, sessionName] = assumed;
    return { key: `arn:${partition}:iam::${account}:role/${roleName}`, sessionName };
  }
  const iam = IAM_PRINCIPAL.exec(arn);
  if (iam) {
    const [, partition, account, kind, name] = iam;
    return { key: `arn:${partition}:iam::${account}:${kind}/${name}` };
  }
  return undefined;
}

/** Thrown at start-up for a tenant map the function cannot use; the deployment is misconfigured. */
export class TenantMapError extends Error {
  constructor(message: string) {
    super(`tenant map: ${message}`);
    this.name = 'TenantMapError';
  }
}

/** Parses ENV.TENANT_MAP: `{ "<IAM role or user ARN>": "<tenant id>" }`. */
export function parseTenantMap(json: string | undefined): TenantMap {
  let raw: unknown;
  try {
    raw = JSON.parse(json ?? '');
  } catch {
    throw new TenantMapError('is not JSON; expected { "<IAM role ARN>": "<tenant id>" }');
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new TenantMapError('must be a JSON object { "<IAM role ARN>": "<tenant id>" }');
  }
  const map = new Map<string, string>();
  for (const [arn, tenant] of Object.entries(raw)) {
    const principal = principalOf(arn);
    if (!principal || principal.sessionName !== undefined) {
      throw new TenantMapError(`key "${arn}" is not an IAM role or user ARN (arn:<partition>:iam::<account>:role/<name>)`);
    }
    try {
      assertTenantId(tenant);
    } catch (error) {
      throw new TenantMapError(`value of "${arn}": ${(error as Error).message}`);
    }
    const existing = map.get(principal.key);
    if (existing !== undefined && existing !== tenant) {
      throw new TenantMapError(`${principal.key} is mapped to both "${existing}" and "${tenant}"`);
    }
    map.set(principal.key, tenant);
  }
  return map;
}

/** The API Gateway (REST, IAM auth) identity fields this module reads. */
export interface CallerIdentity {
  readonly userArn?: string | null;
}

/** Resolves the caller's tenant and actor; throws CallerNotAllowedError (403) for anyone not in the map. */
export function resolveCaller(identity: CallerIdentity | null | undefined, tenants: TenantMap): Caller {
  const arn = identity?.userArn;
  if (typeof arn !== 'string' || arn.length === 0) {
    throw new CallerNotAllowedError('the request carries no authenticated IAM caller; sign it with SigV4');
  }
  const principal = principalOf(arn);
  const tenant = principal ? tenants.get(principal.key) : undefined;
  if (!principal || tenant === undefined) {
    // The caller's own ARN is safe to echo back to it, but only in a printable, bounded form.
    throw new CallerNotAllowedError(`caller ${printable(arn, MAX_ECHOED_ARN)} is not mapped to a tenant of this deployment`);
  }
  return {
    tenant,
    actor: principal.sessionName === undefined ? principal.key : `${principal.key}#${principal.sessionName}`,
  };
}
