// Per-connection request rate limit of the WebSocket API: a token bucket.

/** A token bucket per connection: refills `perSecond`, holds at most `burst`. */
export class RateLimiter {
  private tokens: number;
  private last = performance.now();
  /** Requests refused since the last one let through (a flood is disconnected after a few). */
  refusedInARow = 0;
  constructor(private readonly limit: { perSecond: number; burst: number }) {
    this.tokens = limit.burst;
  }
  take(): boolean {
    const now = performance.now();
    this.tokens = Math.min(this.limit.burst, this.tokens + ((now - this.last) / 1000) * this.limit.perSecond);
    this.last = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      this.refusedInARow = 0;
      return true;
    }
    this.refusedInARow++;
    return false;
  }
}
