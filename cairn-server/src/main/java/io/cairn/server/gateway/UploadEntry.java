package io.cairn.server.gateway;

import java.util.Map;

/** A multipart upload in progress, stored as {@code u/<bucket>.<created>/<key>\0<upload id>}. */
public record UploadEntry(
        String key,
        String uploadId,
        long initiatedMillis,
        String contentType,
        Map<String, String> userMetadata,
        Map<String, String> headers) {}
