/**
 * Calls `send` again after each delay while it fails with one of `errorNames`, for errors
 * that clear on their own, such as IAM permissions that are still propagating. Stops early
 * when the signal aborts.
 */
export async function retryOn<T>(
  errorNames: string[],
  delaysMillis: number[],
  abortSignal: AbortSignal,
  send: () => Promise<T>,
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await send();
    } catch (error) {
      const delay = delaysMillis[attempt];
      const retryable = error instanceof Error && errorNames.includes(error.name);
      if (!retryable || delay === undefined || abortSignal.aborted) {
        throw error;
      }
      await sleep(delay, abortSignal);
    }
  }
}

function sleep(millis: number, abortSignal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const wake = () => {
      clearTimeout(timer);
      abortSignal.removeEventListener('abort', wake);
      resolve();
    };
    const timer = setTimeout(wake, millis);
    abortSignal.addEventListener('abort', wake, { once: true });
  });
}
