package io.cairn.node.erasure;

import io.cairn.core.partition.PartitionId;
import io.cairn.node.replication.ReplicaDriver;
import io.cairn.protocol.Reply;
import io.cairn.protocol.Request;
import io.cairn.protocol.Status;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Optional;
import java.util.concurrent.ExecutionException;

/**
 * The gateway's reads of erasure-coded chunks: each one is a request to this node's replica
 * (the stripe read of the replication protocol: the data blocks a range touches, or every block
 * and a decode when some are missing or damaged, checked against the chunk's CRC32C), awaited here.
 */
public final class StripeReader {

    private final ReplicaDriver driver;

    public StripeReader(ReplicaDriver driver) {
        this.driver = driver;
    }

    /**
     * Bytes {@code [offset, offset + length)} of the chunk {@code key} of erasure-coded partition
     * {@code p}, whose whole length is {@code chunkLength}; empty if it was deleted or never
     * written. Throws {@link IOException} when fewer than {@code k} good blocks can be found.
     */
    public Optional<ByteBuffer> read(PartitionId p, String key, int chunkLength, int offset, int length) throws IOException {
        Reply reply;
        try {
            reply = driver.local(new Request.ReadStripe(driver.mapEpochApplied(), p, key, chunkLength, offset, length)).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while reading chunk " + key);
        } catch (ExecutionException e) {
            throw new IOException("chunk " + key + " of " + p + ": " + e.getCause(), e.getCause());
        }
        if (!(reply instanceof Reply.StripeReply s)) {
            throw new IOException("chunk " + key + " of " + p + ": unexpected " + reply);
        }
        if (s.status() == Status.NOT_FOUND) {
            return Optional.empty();
        }
        if (s.status() != Status.OK) {
            throw new IOException(s.message());
        }
        return Optional.of(s.data());
    }
}
