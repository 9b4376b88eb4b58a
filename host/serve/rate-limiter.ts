// Per-connection limits of the WebSocket API: token buckets, one counting requests and one counting
// bytes (a message costs its length).

/** A token bucket per connection: refills `perSecond`, holds at most `burst`. */
export class RateLimiter {
  private tokens: number;
  private last = performance.now();
  /** Requests refused since the last one let through (a flood is disconnected after a few). */
  refusedInARow = 0;
  constructor(private readonly limit: { perSecond: number; burst: number }) {
    this.tokens = limit.burst;
  }
  /** Takes `cost` tokens (1 for a request; the byte limiter takes the message length) if there are that many. */
  take(cost = 1): boolean {
    const now = performance.now();
    this.tokens = Math.min(this.limit.burst, this.tokens + ((now - this.last) / 1000) * this.limit.perSecond);
    this.last = now;
    if (this.tokens >= cost) {
      this.tokens -= cost;
      this.refusedInARow = 0;
      return true;
    }
    this.refusedInARow++;
    return false;
  }
}
