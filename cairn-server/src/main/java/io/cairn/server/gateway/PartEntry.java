package io.cairn.server.gateway;

import java.util.List;

/**
 * One uploaded part of a multipart upload, stored as {@code p/<bucket>.<created>/<upload id>/<part number>};
 * {@code checksum} is the part's checksum ({@code io.cairn.s3.ObjectChecksum.Stored#encode}), or null.
 */
public record PartEntry(int partNumber, String etag, long size, long lastModifiedMillis, List<ObjectEntry.ChunkRef> chunks,
        String checksum) {}
