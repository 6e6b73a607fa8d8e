package io.cairn.core.map;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.Objects;

/**
 * An access key of an S3 user: the key, its secret, the user it belongs to ({@code name}; a user
 * has one or more keys), whether the user may use the admin API, and whether this key may only
 * read. A user's keys agree on {@code admin}.
 */
public record UserInfo(
        String accessKey,
        String secretKey,
        String name,
        boolean admin,
        @JsonInclude(JsonInclude.Include.NON_DEFAULT) Boolean readOnly) {

    public UserInfo {
        Objects.requireNonNull(accessKey, "accessKey");
        Objects.requireNonNull(secretKey, "secretKey");
        Objects.requireNonNull(name, "name");
        readOnly = readOnly != null && readOnly; // absent from maps written before it existed
    }

    /** A key that may read and write. */
    public UserInfo(String accessKey, String secretKey, String name, boolean admin) {
        this(accessKey, secretKey, name, admin, false);
    }

    @Override
    public String toString() {
        return "UserInfo[accessKey=" + accessKey + ", name=" + name + ", admin=" + admin + ", readOnly=" + readOnly + "]";
    }
}
