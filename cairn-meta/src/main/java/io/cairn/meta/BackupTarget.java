package io.cairn.meta;

import com.fasterxml.jackson.annotation.JsonInclude;
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
 * @param buckets   the names of the buckets linked, in order, or empty when the whole cluster is
 *                  (every bucket whose index and data are in replicated pools)
 */
public record BackupTarget(List<String> endpoints, String adminKey, String caPem,
                           @JsonInclude(JsonInclude.Include.NON_EMPTY) List<String> buckets) {

    /** A link of the whole cluster. */
    public BackupTarget(List<String> endpoints, String adminKey, String caPem) {
        this(endpoints, adminKey, caPem, List.of());
    }

    public BackupTarget {
        endpoints = List.copyOf(Objects.requireNonNull(endpoints, "endpoints"));
        buckets = buckets == null ? List.of() : List.copyOf(new java.util.TreeSet<>(buckets));
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

    /** Whether bucket {@code name} is linked: every bucket is, when the whole cluster is. */
    public boolean links(String name) {
        return buckets.isEmpty() || buckets.contains(name);
    }
}
