package io.cairn.store;

import java.util.Arrays;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A fixed array of locks that keys hash onto, so that updates of one key are serialised
 * without a lock per key. {@link #lockAll} takes every stripe in index order; since a
 * single-key holder never waits for a second stripe, that order cannot deadlock.
 */
final class KeyLocks {

    private final ReentrantLock[] stripes;

    KeyLocks(int stripeCount) {
        if (stripeCount < 1 || stripeCount > (1 << 16)) {
            throw new IllegalArgumentException("stripe count out of range: " + stripeCount);
        }
        stripes = new ReentrantLock[stripeCount];
        for (int i = 0; i < stripeCount; i++) {
            stripes[i] = new ReentrantLock();
        }
    }

    /** The lock guarding the key with these encoded bytes. */
    ReentrantLock of(byte[] encodedKey) {
        int h = Arrays.hashCode(encodedKey);
        h ^= h >>> 16;
        return stripes[Math.floorMod(h, stripes.length)];
    }

    void lockAll() {
        for (ReentrantLock l : stripes) {
            l.lock();
        }
    }

    void unlockAll() {
        for (int i = stripes.length - 1; i >= 0; i--) {
            if (stripes[i].isHeldByCurrentThread()) {
                stripes[i].unlock();
            }
        }
    }
}
