import { parseTenantMap, resolveCaller, TenantMapError } from '../../../lambda/core/http/caller';
import { CallerNotAllowedError } from '../../../lambda/core/http/request-errors';

describe('tenant map', () => {
  test.each([
    ['not JSON', '{', /is not JSON/],
    ['unset', undefined, /is not JSON/],
    ['an array', '[]', /must be a JSON object/],
    ['a key that is not an IAM ARN', '{"AgencyAApp":"agency-a"}', /key "AgencyAApp" is not an IAM role or user ARN/],
    ['an assumed-role ARN as key', '{"arn:aws:sts::111122223333:assumed-role/R/s":"agency-a"}', /is not an IAM role or user ARN/],
    ['a tenant id with a separator', '{"arn:aws:iam::111122223333:role/R":"a#b"}', /value of .*tenant/],
    ['a tenant id that is not a string', '{"arn:aws:iam::111122223333:role/R":7}', /value of .*tenant: is required/],
    [
      'one role (with and without its path) in two tenants',
      '{"arn:aws:iam::111122223333:role/R":"a","arn:aws:iam::111122223333:role/team/R":"b"}',
      /arn:aws:iam::111122223333:role\/R is mapped to both "a" and "b"/,
    ],
  ])('%s is refused at start-up', (_name, json, message) => {
    expect(() => parseTenantMap(json)).toThrow(TenantMapError);
    expect(() => parseTenantMap(json)).toThrow(message);
  });
});

describe('resolveCaller', () => {
  const tenants = parseTenantMap(
    JSON.stringify({
      'arn:aws-us-gov:iam::111122223333:role/division/AgencyAApp': 'agency-a',
      'arn:aws:iam::444455556666:role/AgencyCApp': 'agency-c',
      'arn:aws-us-gov:iam::111122223333:user/ops/auditor': 'agency-a',
    }),
  );

  test('an assumed role maps through its role ARN, in its own partition, whatever the role path', () => {
    expect(resolveCaller({ userArn: 'arn:aws-us-gov:sts::111122223333:assumed-role/AgencyAApp/alice@agency.gov' }, tenants)).toEqual({
      tenant: 'agency-a',
      actor: 'arn:aws-us-gov:iam::111122223333:role/AgencyAApp#alice@agency.gov',
    });
    expect(resolveCaller({ userArn: 'arn:aws:sts::444455556666:assumed-role/AgencyCApp/job-17' }, tenants)).toEqual({
      tenant: 'agency-c',
      actor: 'arn:aws:iam::444455556666:role/AgencyCApp#job-17',
    });
  });

  test('an IAM user maps by its ARN and acts as itself', () => {
    expect(resolveCaller({ userArn: 'arn:aws-us-gov:iam::111122223333:user/ops/auditor' }, tenants)).toEqual({
      tenant: 'agency-a',
      actor: 'arn:aws-us-gov:iam::111122223333:user/auditor',
    });
  });

  test.each([
    ['no identity', undefined],
    ['no user ARN', { userArn: null }],
    ['the same role name in the commercial partition', { userArn: 'arn:aws:sts::111122223333:assumed-role/AgencyAApp/alice' }],
    ['the same role name in another account', { userArn: 'arn:aws-us-gov:sts::999999999999:assumed-role/AgencyAApp/alice' }],
    ['a GovCloud role mapped only in the commercial partition', { userArn: 'arn:aws-us-gov:sts::444455556666:assumed-role/AgencyCApp/x' }],
    ['an unmapped role', { userArn: 'arn:aws-us-gov:sts::111122223333:assumed-role/Other/alice' }],
    ['a federated user', { userArn: 'arn:aws-us-gov:sts::111122223333:federated-user/alice' }],
  ])('%s is refused with 403', (_name, identity) => {
    expect(() => resolveCaller(identity, tenants)).toThrow(CallerNotAllowedError);
  });
});
