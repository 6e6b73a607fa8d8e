package io.cairn.s3;

import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Requests per second each caller (a user, or an anonymous source address) may make of one
 * gateway: a token bucket per caller that fills at {@code perSecond} and holds at most one
 * second's worth, so a caller may burst to {@code perSecond} at once and then keeps to the rate.
 * A request past it is answered {@code SlowDown} (503, which S3 clients back off from and retry).
 * A limit of 0 turns it off.
 */
final class RequestRateLimiter {
  /** Callers tracked at most; past this the ones whose buckets are full again are dropped. */
  static final int CALLERS_MAX = 100_000;

  private final int perSecond;
  private final Map<String, Bucket> callers = new ConcurrentHashMap<>();

  RequestRateLimiter(int perSecond) {
    if (perSecond < 0) throw new IllegalArgumentException("perSecond must be >= 0: " + perSecond);
    this.perSecond = perSecond;
  }

  /** Takes one request of {@code caller}'s at {@code nowMillis}; false when it is over its rate. */
  boolean tryAcquire(String caller, long nowMillis) {
    if (perSecond == 0) return true;
    if (callers.size() >= CALLERS_MAX) prune(nowMillis);
    return callers.computeIfAbsent(caller, c -> new Bucket(perSecond, nowMillis)).take(perSecond, nowMillis);
  }

  private void prune(long nowMillis) {
    for (Iterator<Bucket> it = callers.values().iterator(); it.hasNext(); ) {
      if (it.next().fullAt(perSecond, nowMillis)) it.remove();
    }
  }

  /** Tokens in thousandths of a request, so that a rate fills them by whole milliseconds. */
  private static final class Bucket {
    private long milliTokens;
    private long at;

    Bucket(int perSecond, long now) {
      milliTokens = perSecond * 1000L;
      at = now;
    }

    synchronized boolean take(int perSecond, long now) {
      refill(perSecond, now);
      if (milliTokens < 1000) return false;
      milliTokens -= 1000;
      return true;
    }

    synchronized boolean fullAt(int perSecond, long now) {
      refill(perSecond, now);
      return milliTokens >= perSecond * 1000L;
    }

    private void refill(int perSecond, long now) {
      if (now > at) {
        milliTokens = Math.min(perSecond * 1000L, milliTokens + (now - at) * perSecond);
        at = now;
      }
    }
  }
}
