/** A call that stays in flight until the test settles it. */
export function pending<T = string>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { op: () => promise, resolve, reject };
}
