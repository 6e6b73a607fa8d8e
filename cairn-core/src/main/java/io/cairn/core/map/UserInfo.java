package io.cairn.core.map;

import java.util.Objects;

/** An S3 user: an access key, its secret, and whether it may use the admin API. */
public record UserInfo(String accessKey, String secretKey, String name, boolean admin) {

    public UserInfo {
        Objects.requireNonNull(accessKey, "accessKey");
        Objects.requireNonNull(secretKey, "secretKey");
        Objects.requireNonNull(name, "name");
    }

    @Override
    public String toString() {
        return "UserInfo[accessKey=" + accessKey + ", name=" + name + ", admin=" + admin + "]";
    }
}
