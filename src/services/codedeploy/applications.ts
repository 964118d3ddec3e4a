/**
 * Applications: CreateApplication, GetApplication, BatchGetApplications, ListApplications,
 * UpdateApplication (rename) and DeleteApplication (which deletes its deployment groups).
 */
import { randomUUID } from 'node:crypto';
import type { Operation } from '../../api/index.js';
import { applicationArn, deploymentGroupArn } from './arns.js';
import type { CodeDeployDeps } from './deps.js';
import { applicationDoesNotExist, cdError } from './errors.js';
import { checkName, page } from './names.js';
import type { ApplicationRecord, ComputePlatform } from './records.js';
import { checkTags, type WireTag } from './tags.js';

/** AWS's default quota of applications per account and region. */
export const MAX_APPLICATIONS = 1000;
/** The most names one BatchGet call may ask for. */
export const MAX_BATCH = 100;

/** An application as CodeDeploy shows it. */
export const applicationToWire = (a: ApplicationRecord) => ({
  applicationId: a.applicationId,
  applicationName: a.applicationName,
  createTime: new Date(a.createTime),
  linkedToGitHub: false,
  computePlatform: a.computePlatform,
});

/** The application `name`, or ApplicationDoesNotExistException. */
export function requireApplication(deps: CodeDeployDeps, name: string): ApplicationRecord {
  const a = deps.records.application(name);
  if (!a) throw applicationDoesNotExist(name);
  return a;
}

/** Moves the tags kept under `from` to `to` (ARNs carry names, and names change). */
export function moveTags(deps: CodeDeployDeps, from: string, to: string): void {
  const tags = deps.tags.list(from);
  deps.tags.clear(from);
  if (tags.length) deps.tags.put(to, tags);
}

export function applicationOperations(deps: CodeDeployDeps): Record<string, Operation> {
  const { records } = deps;
  return {
    CreateApplication(input: { applicationName: string; computePlatform?: ComputePlatform; tags?: WireTag[] }) {
      checkName(input.applicationName, 'InvalidApplicationNameException', 'application name');
      const tags = checkTags(input.tags);
      if (records.application(input.applicationName)) {
        throw cdError('ApplicationAlreadyExistsException', `${input.applicationName} already exists in your account`);
      }
      if (records.countApplications() >= MAX_APPLICATIONS) {
        throw cdError('ApplicationLimitExceededException', `The limit of ${MAX_APPLICATIONS} applications per account has been reached.`);
      }
      const a: ApplicationRecord = {
        applicationId: randomUUID(),
        applicationName: input.applicationName,
        // AWS's default: an application without a platform deploys to EC2/on-premises servers.
        computePlatform: input.computePlatform ?? 'Server',
        createTime: deps.now().toISOString(),
      };
      records.saveApplication(a);
      if (tags.length) deps.tags.put(applicationArn(deps.scope, a.applicationName), tags);
      return { applicationId: a.applicationId };
    },

    GetApplication(input: { applicationName: string }) {
      return { application: applicationToWire(requireApplication(deps, input.applicationName)) };
    },

    BatchGetApplications(input: { applicationNames?: string[] }) {
      const names = input.applicationNames ?? [];
      if (names.length === 0) throw cdError('ApplicationNameRequiredException', 'The minimum number of required application names was not specified.');
      if (names.length > MAX_BATCH) throw cdError('BatchLimitExceededException', `The maximum number of names allowed for this request (${MAX_BATCH}) was exceeded.`);
      const found = [...new Set(names)].map((n) => requireApplication(deps, n));
      return { applicationsInfo: found.map(applicationToWire) };
    },

    ListApplications(input: { nextToken?: string }) {
      const p = page(records.applicationNames(), input.nextToken, 'ListApplications');
      return { applications: p.items, nextToken: p.nextToken };
    },

    UpdateApplication(input: { applicationName?: string; newApplicationName?: string }) {
      if (input.applicationName === undefined) throw cdError('ApplicationNameRequiredException', 'The minimum number of required application names was not specified.');
      const a = requireApplication(deps, input.applicationName);
      const to = input.newApplicationName;
      if (to === undefined || to === a.applicationName) return {};
      checkName(to, 'InvalidApplicationNameException', 'application name');
      if (records.application(to)) throw cdError('ApplicationAlreadyExistsException', `${to} already exists in your account`);
      moveTags(deps, applicationArn(deps.scope, a.applicationName), applicationArn(deps.scope, to));
      for (const g of records.groups(a.applicationId)) {
        moveTags(deps, deploymentGroupArn(deps.scope, a.applicationName, g.deploymentGroupName), deploymentGroupArn(deps.scope, to, g.deploymentGroupName));
      }
      records.saveApplication({ ...a, applicationName: to });
      return {};
    },

    DeleteApplication(input: { applicationName: string }) {
      // Deleting an application that is not there succeeds, as on AWS.
      const a = records.application(input.applicationName);
      if (!a) return {};
      for (const g of records.groups(a.applicationId)) deps.tags.clear(deploymentGroupArn(deps.scope, a.applicationName, g.deploymentGroupName));
      deps.tags.clear(applicationArn(deps.scope, a.applicationName));
      records.deleteApplication(a.applicationId);
      return {};
    },
  };
}
