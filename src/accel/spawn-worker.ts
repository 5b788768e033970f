/**
 * Start a worker thread on a module next to the caller (`name` without extension). Under tsx
 * (tests, benches) the caller is a .ts file and so is its sibling; once built both are .js.
 */
import { Worker } from 'node:worker_threads';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, extname, join } from 'node:path';

export function spawnSiblingWorker(callerUrl: string, name: string): Worker {
  const caller = fileURLToPath(callerUrl);
  const file = join(dirname(caller), `${name}${extname(caller)}`);
  // From sources the worker registers tsx itself: Node 20 does not carry the parent's --import
  // loader hooks into worker threads. tsx is resolved from here, not from the working folder.
  return file.endsWith('.ts')
    ? new Worker(`import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((api) => { api.register(); return import(${JSON.stringify(pathToFileURL(file).href)}); });`, { eval: true })
    : new Worker(file);
}
