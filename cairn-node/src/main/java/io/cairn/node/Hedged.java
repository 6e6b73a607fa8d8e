package io.cairn.node;

import io.grpc.Context;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hedged reads: the same read tried at several sources, each started once the ones before it
 * failed or stayed silent for the hedge delay; the first answer that decides wins, and the
 * calls still under way are cancelled (each attempt runs in a gRPC {@link Context} of its own).
 * A source that hangs (a frozen process, a stuck disk) then costs the delay, not the RPC deadline.
 */
final class Hedged {

    private static final Logger log = LoggerFactory.getLogger(Hedged.class);

    /** One way to get the answer: present if it decides, empty if another source must be asked. */
    @FunctionalInterface
    interface Attempt<T> {
        Optional<T> run() throws Exception;
    }

    private Hedged() {}

    /** What one attempt ended with: its index, and its answer (null: it failed or did not decide). */
    private record Ended<T>(int index, T answer) {}

    /**
     * Runs {@code attempts} in order, starting the next when every one started has failed, or
     * {@code delayMillis} after the last start; returns the first deciding answer, or empty when
     * none decided. Attempts still running when it returns are cancelled.
     */
    static <T> Optional<T> first(List<Attempt<T>> attempts, long delayMillis, String what) throws InterruptedException {
        return first(attempts, delayMillis, Long.MAX_VALUE, what);
    }

    /**
     * As {@link #first(List, long, String)}, but once every attempt has started, waits at most
     * {@code lastWaitMillis} more for one that decides: empty then, the ones still running cancelled.
     */
    static <T> Optional<T> first(List<Attempt<T>> attempts, long delayMillis, long lastWaitMillis, String what) throws InterruptedException {
        LinkedBlockingQueue<Ended<T>> ended = new LinkedBlockingQueue<>();
        long allStartedAt = 0;
        List<Context.CancellableContext> running = new ArrayList<>();
        int started = 0;
        int outstanding = 0;
        try {
            while (true) {
                if (outstanding == 0) {
                    if (started == attempts.size()) {
                        return Optional.empty();
                    }
                    start(attempts, started++, ended, running);
                    outstanding++;
                }
                Ended<T> e;
                if (started < attempts.size()) {
                    e = ended.poll(delayMillis, TimeUnit.MILLISECONDS);
                } else {
                    if (allStartedAt == 0) {
                        allStartedAt = System.nanoTime();
                    }
                    long left = lastWaitMillis == Long.MAX_VALUE ? Long.MAX_VALUE
                            : lastWaitMillis - (System.nanoTime() - allStartedAt) / 1_000_000;
                    e = left == Long.MAX_VALUE ? ended.take() : ended.poll(Math.max(0, left), TimeUnit.MILLISECONDS);
                    if (e == null) {
                        log.debug("{}: no source decided within {} ms of the last start; giving up", what, lastWaitMillis);
                        return Optional.empty();
                    }
                }
                if (e == null) {
                    log.debug("{}: no answer from source {} within {} ms; asking source {} too", what, started - 1, delayMillis, started);
                    start(attempts, started++, ended, running);
                    outstanding++;
                    continue;
                }
                outstanding--;
                if (e.answer() != null) {
                    return Optional.of(e.answer());
                }
                if (outstanding == 0 && started < attempts.size()) {
                    start(attempts, started++, ended, running);
                    outstanding++;
                }
            }
        } finally {
            for (Context.CancellableContext c : running) {
                c.cancel(null);
            }
        }
    }

    private static <T> void start(List<Attempt<T>> attempts, int i, LinkedBlockingQueue<Ended<T>> ended,
                                  List<Context.CancellableContext> running) {
        Context.CancellableContext context = Context.ROOT.withCancellation();
        running.add(context);
        Thread.ofVirtual().name("hedged-read-", i).start(context.wrap(() -> {
            T answer = null;
            try {
                answer = attempts.get(i).run().orElse(null);
            } catch (Exception e) {
                if (!context.isCancelled()) { // a cancelled attempt lost to another one
                    log.info("read from source {} of {} failed: {}", i, attempts.size(), e.toString());
                }
            }
            ended.add(new Ended<>(i, answer));
        }));
    }
}
