/**
 * Waits for `promise` at most `ms`: true if it resolved in time, false if the time ran out first (the promise is left
 * to finish on its own). A rejection in time is passed on. The timer never outlives the wait.
 */
export async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined
  try {
    return await Promise.race([
      promise.then(() => true),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), ms)
      })
    ])
  } finally {
    clearTimeout(timer)
  }
}
