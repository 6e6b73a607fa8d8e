package io.cairn.server.gateway;

import java.util.List;
import java.util.Map;

/**
 * An object's index entry, stored as JSON in the record {@code i/<bucket>.<created>/<key>} of
 * one of its bucket's index partitions. Its chunks live in the records {@code c/<chunk id>}.
 *
 * @param versionId unique id of this version of the object (chunk ids derive from it)
 */
public record ObjectEntry(
        long size,
        String etag,
        long lastModifiedMillis,
        String contentType,
        Map<String, String> userMetadata,
        Map<String, String> headers,
        String versionId,
        List<ChunkRef> chunks) {

    /** One data chunk of an object: its record id and length. */
    public record ChunkRef(String id, long size) {}
}
