/** Local mode's drift schedule: EventBridge's rate rule as a timer, one run at a time. */
import { describeError } from "../../lib/errors.ts";

export type DriftTimer = {
  /** (Re)starts the schedule every `seconds`; 0 stops it. */
  setInterval(seconds: number): void;
};

/** Calls `tick` every interval, skipping a tick while the previous run is still going. */
export function createDriftTimer(tick: () => Promise<unknown>, write: (text: string) => void): DriftTimer {
  let timer: ReturnType<typeof setInterval> | undefined;
  let running = false;
  return {
    setInterval(seconds) {
      clearInterval(timer);
      timer = undefined;
      if (seconds <= 0) return;
      timer = setInterval(() => {
        // One tick at a time: a slow queue must not pile up schedule runs.
        if (running) return;
        running = true;
        void tick()
          .catch((error: unknown) => write(`! drift schedule: ${describeError(error)}`))
          .finally(() => {
            running = false;
          });
      }, seconds * 1000);
    },
  };
}
