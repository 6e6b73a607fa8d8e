package io.cairn.server.admin;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;

/** Prints the admin API's bucket documents ({@link BucketView}) for a person. */
public final class BucketPrinter {
    private BucketPrinter() {}

    public static void printCreated(JsonNode b, PrintWriter out) {
        out.printf("created bucket %s: policy %s, index in pool %s, data in pool %s%n", b.path("name").asText(),
                b.path("policy").asText("-"), b.path("index_pool").asText(), b.path("data_pool").asText());
        if (b.hasNonNull("site_loss_risk")) {
            out.println("warning: " + b.path("site_loss_risk").asText());
        }
        out.flush();
    }

    public static void printList(JsonNode list, PrintWriter out) {
        JsonNode buckets = list.path("buckets");
        if (buckets.isEmpty()) {
            out.println("no buckets");
            out.flush();
            return;
        }
        out.printf("%-32s %-8s %-10s %-10s %s%n", "BUCKET", "POLICY", "INDEX", "DATA", "OWNER");
        for (JsonNode b : buckets) {
            out.printf("%-32s %-8s %-10s %-10s %s%n", b.path("name").asText(), b.path("policy").asText("-"),
                    b.path("index_pool").asText(), b.path("data_pool").asText(), b.path("owner").asText());
        }
        out.flush();
    }
}
