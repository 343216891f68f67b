// The child side of the benchmarks' IPC protocol (the parent's side is in _vn-procs.ts and
// _coloc-procs.ts): one answer per request, `{ id, result }` or `{ id, error }`; after answering
// `stop` the child lets go of the channel so it can exit.

/** Sends one message to the parent. */
export const sendToParent = (m: object): void => void process.send!(m);

/** Answers every request from the parent with `handle`. */
export function answerRequests<R extends { id: number; cmd: string }>(handle: (m: R) => Promise<unknown>): void {
  process.on('message', (m: R) => {
    void handle(m).then(
      (result) => {
        sendToParent({ id: m.id, result });
        if (m.cmd === 'stop') process.disconnect();
      },
      (err: Error) => sendToParent({ id: m.id, error: err.stack ?? err.message }),
    );
  });
}
