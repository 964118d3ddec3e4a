/**
 * Turns a container definition into what the process driver runs: the argv (ECS/Docker exec
 * rules), the environment, the working directory and the user, with ECS's failure wording.
 */
import { accessSync, constants, readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DriverError, type ContainerConfig } from '../driver.js';
import { readEnvironmentFiles } from '../environment-files.js';

/** PATH given to a container when Berth's own has none (Docker's default). */
export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** A user resolved to ids, with its home directory. */
export interface ResolvedUser {
  uid: number;
  gid: number;
  home: string;
}

/** What to run for one container. */
export interface ResolvedCommand {
  /** The executable's path, as found. */
  file: string;
  /** The arguments, `argv[0]` as the definition wrote it. */
  argv: string[];
  env: Record<string, string>;
  cwd: string;
  user?: ResolvedUser;
}

function cannotStart(detail: string): DriverError {
  return new DriverError('CannotStartContainerError', detail);
}

/**
 * The argv: `entryPoint` exec'd with `command` appended; without `entryPoint`, `command[0]` is the
 * executable. No shell is involved unless the definition names one (`["sh", "-c", "..."]`).
 */
export function containerArgv(config: Pick<ContainerConfig, 'entryPoint' | 'command'>): string[] {
  const argv = [...(config.entryPoint ?? []), ...(config.command ?? [])];
  if (argv.length === 0 || argv[0] === '') throw cannotStart('no command specified: the container has neither entryPoint nor command');
  return argv;
}

function readColonFile(file: string): string[][] {
  try {
    return readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => l.split(':'));
  } catch {
    return [];
  }
}

/**
 * Resolves an ECS `user` (`user`, `user:group`, `uid`, `uid:gid`, `user:gid`, `uid:group`)
 * against /etc/passwd and /etc/group. Only root may switch users; otherwise a clear error.
 */
export function resolveUser(spec: string | undefined): ResolvedUser | undefined {
  if (spec === undefined || spec === '') return undefined;
  const [userPart, groupPart] = spec.split(':', 2) as [string, string | undefined];
  const passwd = readColonFile('/etc/passwd');
  const entry = /^\d+$/.test(userPart) ? passwd.find((p) => p[2] === userPart) : passwd.find((p) => p[0] === userPart);
  if (!entry && !/^\d+$/.test(userPart)) throw cannotStart(`unable to find user ${userPart}: no matching entries in passwd file`);
  const uid = entry ? Number(entry[2]) : Number(userPart);
  let gid = entry ? Number(entry[3]) : uid;
  if (groupPart !== undefined && groupPart !== '') {
    if (/^\d+$/.test(groupPart)) gid = Number(groupPart);
    else {
      const g = readColonFile('/etc/group').find((e) => e[0] === groupPart);
      if (!g) throw cannotStart(`unable to find group ${groupPart}: no matching entries in group file`);
      gid = Number(g[2]);
    }
  }
  const self = os.userInfo();
  if (process.getuid?.() !== 0 && (uid !== self.uid || gid !== self.gid)) {
    throw cannotStart(`cannot run as user "${spec}": Berth runs as uid ${self.uid} and only root can switch users (the process driver runs containers as host processes)`);
  }
  return { uid, gid, home: entry?.[5] || '/' };
}

/** Finds the executable as exec would, with runc's wording when it cannot. */
export function lookupExecutable(file: string, envPath: string, cwd: string): string {
  const check = (candidate: string): string | undefined => {
    try {
      if (!statSync(candidate).isFile()) return 'is a directory';
      accessSync(candidate, constants.X_OK);
      return undefined;
    } catch (err) {
      return (err as NodeJS.ErrnoException).code === 'EACCES' ? 'permission denied' : 'no such file or directory';
    }
  };
  if (file.includes('/')) {
    const full = path.resolve(cwd, file);
    const problem = check(full);
    if (problem === undefined) return full;
    throw cannotStart(problem === 'no such file or directory' ? `exec: "${file}": stat ${file}: no such file or directory` : `exec: "${file}": ${problem}`);
  }
  for (const dir of envPath.split(':')) {
    const candidate = path.resolve(cwd, dir || '.', file);
    if (check(candidate) === undefined) return candidate;
  }
  throw cannotStart(`exec: "${file}": executable file not found in $PATH`);
}

/**
 * Resolves one container: argv with its executable found, environment (PATH, HOME, HOSTNAME,
 * then environmentFiles, then environment, then the port variables), directory and user.
 */
export function resolveCommand(config: ContainerConfig, portEnv: Record<string, string>, defaultCwd: string): ResolvedCommand {
  const argv = containerArgv(config);
  const user = resolveUser(config.user);
  const cwd = config.workingDirectory ? path.resolve(defaultCwd, config.workingDirectory) : defaultCwd;
  try {
    if (!statSync(cwd).isDirectory()) throw new Error('not a directory');
  } catch {
    throw cannotStart(`chdir to cwd ("${cwd}") set in config.json failed: no such file or directory`);
  }
  const env: Record<string, string> = {
    PATH: process.env.PATH || DEFAULT_PATH,
    HOME: user?.home ?? os.homedir(),
    HOSTNAME: os.hostname(),
    ...readEnvironmentFiles(config.environmentFiles),
    ...(config.environment ?? {}),
    ...portEnv,
  };
  const file = lookupExecutable(argv[0]!, env.PATH ?? DEFAULT_PATH, cwd);
  return { file, argv, env, cwd, user };
}
