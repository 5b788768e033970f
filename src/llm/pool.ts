/**
 * Runs `task` over `items` with `workers` workers pulling from a shared queue, in order of
 * the items. Stops taking new items once `shouldStop()` is true or a task throws; the first
 * error is rethrown after the tasks already started have settled (so their results are
 * persisted before the caller sees the failure).
 */
export async function runPool<T>(
  items: readonly T[],
  workers: number,
  task: (item: T) => Promise<void>,
  shouldStop: () => boolean = () => false,
): Promise<void> {
  let next = 0;
  let failed = false;
  let firstError: unknown;
  const worker = async (): Promise<void> => {
    while (!failed && !shouldStop() && next < items.length) {
      const item = items[next++];
      try {
        await task(item);
      } catch (e) {
        if (!failed) {
          failed = true;
          firstError = e;
        }
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(workers, items.length)) }, worker));
  if (failed) throw firstError;
}
