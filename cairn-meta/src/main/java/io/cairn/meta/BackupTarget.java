package io.cairn.meta;

import java.util.List;
import java.util.Objects;

/**
 * Where this cluster ships its consistent cuts: its backup site ({@code cairn admin replicate add}).
 *
 * @param endpoints the backup cluster's S3 endpoints, {@code http://} or {@code https://}
 * @param adminKey  {@code ACCESS_KEY:SECRET_KEY} of an admin user of the backup, sealed under the
 *                  cluster's SSE master key when it has one (as users' secrets are), else in clear
 * @param caPem     the PEM certificates to trust for {@code https://} endpoints, or null for the
 *                  JVM's trusted CAs
 */
public record BackupTarget(List<String> endpoints, String adminKey, String caPem) {

    public BackupTarget {
        endpoints = List.copyOf(Objects.requireNonNull(endpoints, "endpoints"));
        Objects.requireNonNull(adminKey, "adminKey");
        if (endpoints.isEmpty()) {
            throw new IllegalArgumentException("a backup site needs at least one endpoint");
        }
        for (String e : endpoints) {
            if (!e.startsWith("http://") && !e.startsWith("https://")) {
                throw new IllegalArgumentException("a backup site's endpoint is http:// or https://, not " + e);
            }
        }
        if (adminKey.isBlank()) {
            throw new IllegalArgumentException("a backup site needs the key of one of its admin users");
        }
    }
}
