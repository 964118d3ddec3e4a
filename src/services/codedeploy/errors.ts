/** CodeDeploy's modelled exceptions (codes from the model's error shapes), as the operations throw them. */
import { ServiceError } from '../../errors/index.js';

/** A modelled CodeDeploy error by its wire code (`ApplicationDoesNotExistException`, ...). */
export const cdError = (code: string, message: string) => new ServiceError(code, message);

/**
 * Input that breaks the model's constraints. CodeDeploy answers a missing or malformed name with
 * the name's own exception rather than a generic one, so the members it has exceptions for map to
 * them; everything else is `ValidationException`.
 */
export function validationError(message: string): ServiceError {
  const named: [string, string, string][] = [
    ['applicationName', 'ApplicationNameRequiredException', 'InvalidApplicationNameException'],
    ['newApplicationName', 'ApplicationNameRequiredException', 'InvalidApplicationNameException'],
    ['applicationNames', 'ApplicationNameRequiredException', 'InvalidApplicationNameException'],
    ['deploymentGroupName', 'DeploymentGroupNameRequiredException', 'InvalidDeploymentGroupNameException'],
    ['currentDeploymentGroupName', 'DeploymentGroupNameRequiredException', 'InvalidDeploymentGroupNameException'],
    ['newDeploymentGroupName', 'DeploymentGroupNameRequiredException', 'InvalidDeploymentGroupNameException'],
    ['deploymentGroupNames', 'DeploymentGroupNameRequiredException', 'InvalidDeploymentGroupNameException'],
    ['deploymentConfigName', 'DeploymentConfigNameRequiredException', 'InvalidDeploymentConfigNameException'],
    ['serviceRoleArn', 'RoleRequiredException', 'InvalidRoleException'],
    ['ResourceArn', 'ResourceArnRequiredException', 'InvalidArnException'],
    ['deploymentId', 'DeploymentIdRequiredException', 'InvalidDeploymentIdException'],
    ['deploymentIds', 'DeploymentIdRequiredException', 'InvalidDeploymentIdException'],
    ['targetId', 'DeploymentTargetIdRequiredException', 'InvalidDeploymentTargetIdException'],
    ['targetIds', 'DeploymentTargetIdRequiredException', 'InvalidDeploymentTargetIdException'],
  ];
  // Only a single problem maps to a specific exception; several at once stay a ValidationException.
  if (message.startsWith('1 validation error')) {
    for (const [member, required, invalid] of named) {
      const at = new RegExp(`at '${member}(\\.member)?'`);
      if (at.test(message)) return cdError(/Value null at/.test(message) ? required : invalid, message);
    }
  }
  return cdError('ValidationException', message);
}

export const applicationDoesNotExist = (name: string) => cdError('ApplicationDoesNotExistException', `No application found for name: ${name}`);
export const deploymentGroupDoesNotExist = (app: string, group: string) =>
  cdError('DeploymentGroupDoesNotExistException', `No Deployment Group found for name: ${group} in application ${app}`);
export const deploymentConfigDoesNotExist = (name: string) => cdError('DeploymentConfigDoesNotExistException', `No deployment configuration found for name: ${name}`);
export const invalidInput = (message: string) => cdError('InvalidInputException', message);
export const deploymentIdRequired = () => cdError('DeploymentIdRequiredException', 'At least one deployment ID must be specified.');
export const deploymentDoesNotExist = (id: string) => cdError('DeploymentDoesNotExistException', `The deployment ${id} could not be found.`);
