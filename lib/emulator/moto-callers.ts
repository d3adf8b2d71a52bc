import { CreateAccessKeyCommand, CreateRoleCommand, CreateUserCommand, GetRoleCommand, IAMClient, NoSuchEntityException } from '@aws-sdk/client-iam';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity, BuildMiddleware } from '@smithy/types';
import type { CredentialLookup, IssuedCredential } from './sigv4-verifier';

/**
 * Callers with real credentials, issued by moto's IAM (a user's access key)
 * or STS (AssumeRole), and the lookup the local gateway verifies their
 * signatures with: access key id → secret, session token, expiry and the
 * principal's ARN, which is what moto's own GetCallerIdentity answers for
 * the key. moto's IAM and STS live in the account the request names with
 * `x-moto-account-id`, so a role of any account can be created and assumed.
 */
export interface MotoCallers {
  /** Creates the role in moto's IAM if it is not there (account, path and name from the ARN), then assumes it. */
  assumeRole(roleArn: string, sessionName: string): Promise<IssuedCredential>;
  /** Creates an IAM user and an access key for it. */
  createUser(accountId: string, userName: string): Promise<IssuedCredential>;
  readonly lookup: CredentialLookup;
  destroy(): void;
}

/** The role trusts its own account, as a tenant's application role would; moto does not evaluate trust policies, a real account does. */
const TRUST_ANY_PRINCIPAL_OF_THE_ACCOUNT = (accountId: string, partition: string) =>
  JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:${partition}:iam::${accountId}:root` }, Action: 'sts:AssumeRole' }],
  });

/** Keys for moto's own APIs: moto checks no signature there unless told to, so these only address it. */
const MOTO_KEYS: AwsCredentialIdentity = { accessKeyId: 'testing', secretAccessKey: 'testing' };

function inAccount<T extends { middlewareStack: { add(middleware: BuildMiddleware<any, any>, options: { step: 'build'; name: string }): void } }>(
  client: T,
  accountId: string,
): T {
  client.middlewareStack.add(
    (next) => async (args) => {
      (args.request as { headers: Record<string, string> }).headers['x-moto-account-id'] = accountId;
      return next(args);
    },
    { step: 'build', name: 'motoAccount' },
  );
  return client;
}

function parseRoleArn(roleArn: string): { partition: string; accountId: string; path: string; roleName: string } {
  const match = /^arn:([a-z-]+):iam::(\d{12}):role(\/(?:[^/]+\/)*)([^/]+)$/.exec(roleArn);
  if (!match) throw new Error(`${roleArn} is not an IAM role ARN`);
  return { partition: match[1], accountId: match[2], path: match[3], roleName: match[4] };
}

/**
 * `region` decides the partition of the ARNs moto writes (a GovCloud region
 * gives `aws-us-gov`); it must be a region of the partition of the roles
 * assumed.
 */
export function motoCallers(endpoint: string, region: string): MotoCallers {
  const issued = new Map<string, IssuedCredential>();
  const clients: { destroy(): void }[] = [];
  const iamOf = (accountId: string) => {
    const client = inAccount(new IAMClient({ region, endpoint, credentials: MOTO_KEYS }), accountId);
    clients.push(client);
    return client;
  };

  /** The principal moto's STS says the key belongs to. */
  async function identityOf(credentials: AwsCredentialIdentity): Promise<{ arn: string; accountId: string }> {
    const sts = new STSClient({ region, endpoint, credentials });
    try {
      const identity = await sts.send(new GetCallerIdentityCommand({}));
      return { arn: identity.Arn!, accountId: identity.Account! };
    } finally {
      sts.destroy();
    }
  }

  async function record(credentials: AwsCredentialIdentity & { expiration?: Date }): Promise<IssuedCredential> {
    const credential: IssuedCredential = {
      accessKeyId: credentials.accessKeyId,
      secretAccessKey: credentials.secretAccessKey,
      ...(credentials.sessionToken ? { sessionToken: credentials.sessionToken } : {}),
      ...(credentials.expiration ? { expiration: credentials.expiration } : {}),
      ...(await identityOf(credentials)),
    };
    issued.set(credential.accessKeyId, credential);
    return credential;
  }

  return {
    async assumeRole(roleArn, sessionName) {
      const { partition, accountId, path, roleName } = parseRoleArn(roleArn);
      const iam = iamOf(accountId);
      try {
        await iam.send(new GetRoleCommand({ RoleName: roleName }));
      } catch (error) {
        if (!(error instanceof NoSuchEntityException)) throw error;
        const created = await iam.send(
          new CreateRoleCommand({ RoleName: roleName, Path: path, AssumeRolePolicyDocument: TRUST_ANY_PRINCIPAL_OF_THE_ACCOUNT(accountId, partition) }),
        );
        if (created.Role?.Arn !== roleArn) {
          throw new Error(`moto created ${created.Role?.Arn} for ${roleArn}: give motoCallers a region of the ${partition} partition`);
        }
      }
      const sts = inAccount(new STSClient({ region, endpoint, credentials: MOTO_KEYS }), accountId);
      try {
        const { Credentials } = await sts.send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: sessionName }));
        return await record({
          accessKeyId: Credentials!.AccessKeyId!,
          secretAccessKey: Credentials!.SecretAccessKey!,
          sessionToken: Credentials!.SessionToken!,
          expiration: Credentials!.Expiration,
        });
      } finally {
        sts.destroy();
      }
    },
    async createUser(accountId, userName) {
      const iam = iamOf(accountId);
      await iam.send(new CreateUserCommand({ UserName: userName }));
      const { AccessKey } = await iam.send(new CreateAccessKeyCommand({ UserName: userName }));
      return record({ accessKeyId: AccessKey!.AccessKeyId!, secretAccessKey: AccessKey!.SecretAccessKey! });
    },
    lookup: (accessKeyId) => issued.get(accessKeyId),
    destroy() {
      for (const client of clients) client.destroy();
    },
  };
}
