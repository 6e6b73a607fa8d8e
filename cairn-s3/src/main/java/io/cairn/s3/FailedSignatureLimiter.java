package io.cairn.s3;

import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Counts requests that failed authentication per source address, over a sliding minute (the
 * current minute plus the share of the previous one still inside the window), so that the gateway
 * can treat an address past {@code perMinute} failures as hostile until its rate falls back under
 * the limit. A limit of 0 turns the count off.
 */
final class FailedSignatureLimiter {
  static final long WINDOW_MILLIS = 60_000;
  /** Sources tracked at most; past this the ones without a failure in the last two windows are dropped. */
  static final int SOURCES_MAX = 100_000;

  private final int perMinute;
  private final Map<String, Window> sources = new ConcurrentHashMap<>();

  FailedSignatureLimiter(int perMinute) {
    if (perMinute < 0) throw new IllegalArgumentException("perMinute must be >= 0: " + perMinute);
    this.perMinute = perMinute;
  }

  /** Whether {@code source} is past its limit at {@code nowMillis}. */
  boolean blocked(String source, long nowMillis) {
    if (perMinute == 0) return false;
    Window w = sources.get(source);
    return w != null && w.rate(nowMillis) >= perMinute;
  }

  /** Counts one failed authentication from {@code source}. */
  void failed(String source, long nowMillis) {
    if (perMinute == 0) return;
    if (sources.size() >= SOURCES_MAX) prune(nowMillis);
    sources.computeIfAbsent(source, s -> new Window(nowMillis)).add(nowMillis);
  }

  private void prune(long nowMillis) {
    for (Iterator<Window> it = sources.values().iterator(); it.hasNext(); ) {
      if (it.next().idleSince(nowMillis - 2 * WINDOW_MILLIS)) it.remove();
    }
  }

  /** Failures in the current window and the one before it. */
  private static final class Window {
    private long start;
    private long current;
    private long previous;

    Window(long now) {
      start = now - Math.floorMod(now, WINDOW_MILLIS);
    }

    synchronized void add(long now) {
      roll(now);
      current++;
    }

    synchronized double rate(long now) {
      roll(now);
      double previousShare = Math.clamp(1.0 - (double) (now - start) / WINDOW_MILLIS, 0.0, 1.0);
      return current + previous * previousShare;
    }

    synchronized boolean idleSince(long cutoff) {
      return start + WINDOW_MILLIS < cutoff;
    }

    private void roll(long now) {
      if (now < start + WINDOW_MILLIS) return;
      long windows = (now - start) / WINDOW_MILLIS;
      previous = windows == 1 ? current : 0;
      current = 0;
      start += windows * WINDOW_MILLIS;
    }
  }
}
