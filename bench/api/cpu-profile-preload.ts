/**
 * Loaded into a Berth process with `NODE_OPTIONS=--import <this file>` when the bench runs with
 * `--cpu-prof DIR` (Node refuses `--cpu-prof` itself in NODE_OPTIONS): profiles the whole process
 * with the in-process inspector and writes `<BENCH_CPU_PROF_FILE>` at exit.
 */
import { Session } from 'node:inspector';
import { writeFileSync } from 'node:fs';

// A forked child (a load balancer worker) inherits the variable: it writes a file of its own.
const named = process.env.BENCH_CPU_PROF_FILE;
const file = named && process.send ? named.replace(/\.cpuprofile$/, `-child-${process.pid}.cpuprofile`) : named;
if (file) {
  const session = new Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.setSamplingInterval', { interval: 200 });
  session.post('Profiler.start');
  // The main-thread session answers synchronously, so this runs to completion inside 'exit'.
  process.once('exit', () => {
    session.post('Profiler.stop', (err, result) => {
      if (!err) writeFileSync(file, JSON.stringify(result.profile));
    });
  });
}
