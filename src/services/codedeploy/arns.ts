/**
 * CodeDeploy ARNs: `arn:aws:codedeploy:REGION:ACCOUNT:application:NAME`,
 * `...:deploymentgroup:APPLICATION/GROUP` and `...:deploymentconfig:NAME`, and parsing them back
 * for the tagging calls.
 */

/** Where ARNs are minted: the account and region Berth serves. */
export interface ArnScope {
  accountId: string;
  region: string;
}

const prefix = (s: ArnScope) => `arn:aws:codedeploy:${s.region}:${s.accountId}`;

export const applicationArn = (s: ArnScope, name: string) => `${prefix(s)}:application:${name}`;
export const deploymentGroupArn = (s: ArnScope, app: string, group: string) => `${prefix(s)}:deploymentgroup:${app}/${group}`;
export const deploymentConfigArn = (s: ArnScope, name: string) => `${prefix(s)}:deploymentconfig:${name}`;

/** A parsed CodeDeploy ARN. */
export type ParsedArn =
  | { kind: 'application'; region: string; accountId: string; application: string }
  | { kind: 'deploymentgroup'; region: string; accountId: string; application: string; group: string }
  | { kind: 'deploymentconfig'; region: string; accountId: string; config: string }
  | { kind: 'other'; region: string; accountId: string; resourceType: string };

/** Parses a CodeDeploy ARN; undefined when `s` is not an ARN of CodeDeploy at all. */
export function parseArn(s: string): ParsedArn | undefined {
  const m = /^arn:aws[a-z-]*:codedeploy:([a-z0-9-]*):(\d{12}):([a-z]+):(.+)$/.exec(s);
  if (!m) return undefined;
  const [, region, accountId, type, rest] = m;
  if (type === 'application') return { kind: 'application', region, accountId, application: rest };
  if (type === 'deploymentconfig') return { kind: 'deploymentconfig', region, accountId, config: rest };
  if (type === 'deploymentgroup') {
    const slash = rest.indexOf('/');
    if (slash > 0) return { kind: 'deploymentgroup', region, accountId, application: rest.slice(0, slash), group: rest.slice(slash + 1) };
  }
  return { kind: 'other', region, accountId, resourceType: type };
}
