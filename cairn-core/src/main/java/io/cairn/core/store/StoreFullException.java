package io.cairn.core.store;

import java.io.IOException;

/**
 * A write refused because free space on every usable data directory is under the
 * configured reserve (or the disk ran out of space mid-write). Nothing was changed; reads
 * and deletes keep working.
 */
public final class StoreFullException extends IOException {

    public StoreFullException(String message) {
        super(message);
    }
}
