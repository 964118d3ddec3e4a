/**
 * The runtimes Berth runs and how: nodejs20.x and nodejs22.x run on the Node.js that runs Berth
 * (`process.execPath`, whatever its version); pythonX.Y runs on a `pythonX.Y` (or `python3` of
 * that version) found on PATH. Other runtimes are refused at CreateFunction/Update*.
 */
import { execFileSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import { invalidParameter } from './errors.js';

/** Runtimes Lambda no longer takes for new or updated functions. */
const DEPRECATED = new Set(['nodejs', 'nodejs4.3', 'nodejs4.3-edge', 'nodejs6.10', 'nodejs8.10', 'nodejs10.x', 'nodejs12.x', 'nodejs14.x', 'nodejs16.x', 'python2.7', 'python3.6', 'python3.7', 'python3.8', 'java8', 'dotnetcore1.0', 'dotnetcore2.0', 'dotnetcore2.1', 'dotnetcore3.1', 'dotnet6', 'go1.x', 'ruby2.5', 'ruby2.7', 'provided']);

/** How a runtime's child process is started. */
export interface RuntimeCommand {
  kind: 'node' | 'python';
  /** The interpreter. */
  command: string;
}

const versionCache = new Map<string, { version: string; executable: string } | undefined>();

/**
 * The `major.minor` of a Python interpreter and the real executable behind it (a pyenv shim is a
 * shell script that costs ~200 ms a start), or undefined when it does not run.
 */
function pythonVersion(cmd: string): { version: string; executable: string } | undefined {
  if (versionCache.has(cmd)) return versionCache.get(cmd);
  let found: { version: string; executable: string } | undefined;
  try {
    const [version, executable] = execFileSync(cmd, ['-c', 'import sys; print("%d.%d" % sys.version_info[:2]); print(sys.executable)'], { encoding: 'utf8', timeout: 10_000, stdio: ['ignore', 'pipe', 'ignore'] }).trim().split('\n');
    found = { version, executable: executable || cmd };
  } catch {
    found = undefined;
  }
  versionCache.set(cmd, found);
  return found;
}

/** The executable `name` on PATH, if any. */
function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const file = path.join(dir || '.', name);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** The interpreter of `pythonX.Y` on this machine, if there is one: `pythonX.Y`, or `python3` of that version. */
function findPython(version: string): string | undefined {
  for (const name of [`python${version}`, 'python3']) {
    const file = onPath(name);
    const found = file ? pythonVersion(file) : undefined;
    if (found?.version === version) return found.executable;
  }
  return undefined;
}

/** The runtimes this machine can run, for messages. */
export function availableRuntimes(): string[] {
  const out = ['nodejs20.x', 'nodejs22.x'];
  for (const v of ['3.9', '3.10', '3.11', '3.12', '3.13', '3.14']) if (findPython(v)) out.push(`python${v}`);
  return out;
}

/** How to run `runtime`; throws InvalidParameterValueException for one Berth cannot run. */
export function runtimeCommand(runtime: string): RuntimeCommand {
  if (DEPRECATED.has(runtime)) {
    throw invalidParameter(`The runtime parameter of ${runtime} is no longer supported for creating or updating AWS Lambda functions. We recommend you use a supported runtime while creating or updating functions.`);
  }
  if (runtime === 'nodejs20.x' || runtime === 'nodejs22.x') return { kind: 'node', command: process.execPath };
  const py = /^python(3\.\d+)$/.exec(runtime);
  const python = py && findPython(py[1]);
  if (python) return { kind: 'python', command: python };
  throw invalidParameter(
    `The runtime parameter of ${runtime} is not supported by Berth${py ? `: no python${py[1]} interpreter on this machine` : ''}. Use one of: ${availableRuntimes().join(', ')}.`,
  );
}
