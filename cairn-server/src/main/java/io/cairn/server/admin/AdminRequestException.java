package io.cairn.server.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;

/** The admin API refused a request: its HTTP status, its error code if it gave one, and why. */
public final class AdminRequestException extends IOException {

    private static final ObjectMapper JSON = new ObjectMapper();
    /** Longest part of a non-JSON answer kept in the message, in characters. */
    static final int BODY_CHARS_MAX = 500;

    private final int status;
    private final String code;

    public AdminRequestException(int status, String code, String reason) {
        super(reason + " (HTTP " + status + (code != null ? " " + code : "") + ")");
        this.status = status;
        this.code = code;
    }

    /** Reads the {@code {"error": ..., "code": ...}} answer of the admin API; any other body is quoted as it is. */
    public static AdminRequestException of(int status, String body) {
        String reason = null;
        String code = null;
        try {
            JsonNode json = JSON.readTree(body);
            if (json != null && json.path("error").isTextual()) {
                reason = json.path("error").asText();
                code = json.path("code").isTextual() ? json.path("code").asText() : null;
            }
        } catch (IOException e) {
            // not JSON: quote the body
        }
        if (reason == null) {
            String text = body == null ? "" : body.strip();
            reason = text.isEmpty() ? "no reason given" : text.length() > BODY_CHARS_MAX ? text.substring(0, BODY_CHARS_MAX) + "..." : text;
        }
        return new AdminRequestException(status, code, reason);
    }

    public int status() {
        return status;
    }

    /** The S3 error code the API named (e.g. {@code BucketAlreadyOwnedByYou}), or null. */
    public String code() {
        return code;
    }
}
