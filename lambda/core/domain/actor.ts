/**
 * The parts of an actor string as the API records it (lambda/core/http/caller.ts):
 * `<role ARN>#<role session name>` for an assumed role, or the IAM role or
 * user ARN itself. Neither part can contain `#`.
 */
export interface ActorIdentity {
  readonly principalArn: string;
  /** The IAM role's name (partition-free, path-free), for a role. */
  readonly roleName?: string;
  /** The role session name: usually the person or job behind the role. */
  readonly sessionName?: string;
}

const ROLE_NAME = /:role\/(?:.*\/)?([^/]+)$/;

export function actorIdentity(actor: string): ActorIdentity {
  const cut = actor.indexOf('#');
  const principalArn = cut < 0 ? actor : actor.slice(0, cut);
  const sessionName = cut < 0 ? undefined : actor.slice(cut + 1);
  const roleName = ROLE_NAME.exec(principalArn)?.[1];
  return {
    principalArn,
    ...(roleName === undefined ? {} : { roleName }),
    ...(sessionName === undefined || sessionName === '' ? {} : { sessionName }),
  };
}

/**
 * Separation of duties (AC-5): the same actor, or the same role session name
 * under another role (one person holding both roles), is the same party.
 */
export function isSameParty(a: string, b: string): boolean {
  if (a === b) return true;
  const left = actorIdentity(a);
  const right = actorIdentity(b);
  return left.sessionName !== undefined && left.sessionName === right.sessionName;
}
