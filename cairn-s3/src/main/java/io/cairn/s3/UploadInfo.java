package io.cairn.s3;

/** A multipart upload in progress. */
public record UploadInfo(String key, String uploadId, long initiatedMillis) {}
