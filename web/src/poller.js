// Polling for the live views: a page that shows queued or running runs refreshes itself.

// Calls `tick()` every `seconds` while it resolves to true; stops on false or stop().
// A tick that throws is reported through `onError` and polling goes on (a server restart
// or a busy database should not end the live view).
export class Poller {
  constructor(tick, seconds, onError) {
    this.tick = tick;
    this.ms = seconds * 1000;
    this.onError = onError;
    this.timer = null;
    this.stopped = true;
  }

  start() {
    if (!this.stopped) return;
    this.stopped = false;
    this.schedule();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  get running() {
    return !this.stopped;
  }

  schedule() {
    this.timer = setTimeout(async () => {
      if (this.stopped) return;
      let again = true;
      try {
        again = await this.tick();
        this.onError?.(null);
      } catch (e) {
        this.onError?.(e);
      }
      if (again && !this.stopped) this.schedule();
      else this.stopped = true;
    }, this.ms);
  }
}
