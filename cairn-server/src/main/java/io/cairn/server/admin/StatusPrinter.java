package io.cairn.server.admin;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;

/** Prints the status document for a person. */
public final class StatusPrinter {
    private StatusPrinter() {}

    public static void print(JsonNode s, PrintWriter out) {
        out.printf("cluster %s  epoch %d%n", s.path("cluster_id").asText(), s.path("epoch").asLong());
        JsonNode dm = s.path("degraded_mode");
        out.println(dm.isNull() || dm.isMissingNode() ? "redundancy: full" : "DEGRADED MODE: " + dm.path("reason").asText());
        JsonNode p = s.path("partitions");
        out.printf("partitions: %d total, %d clean, %d degraded, %d unreachable, %d recovering, %d moving%n", p.path("total").asInt(),
                p.path("clean").asInt(), p.path("degraded").asInt(), p.path("unreachable").asInt(), p.path("recovering").asInt(),
                p.path("moving").asInt());
        JsonNode c = s.path("capacity");
        out.printf("capacity: raw %s, used %s, usable %s%n", bytes(c.path("raw_bytes").asLong()),
                bytes(c.path("used_bytes").asLong()), bytes(c.path("usable_bytes").asLong()));
        JsonNode r = s.path("repair");
        if (r.path("bytes_left").asLong() > 0) {
            long eta = r.path("eta_seconds").asLong();
            out.printf("re-protection: %d partitions left, about %s in %d records; %s%n", r.path("partitions_left").asInt(),
                    bytes(r.path("bytes_left").asLong()), r.path("records_left").asLong(), eta < 0 ? "rate not known yet (ask again in a few seconds)"
                            : bytes(r.path("bytes_per_second").asLong()) + "/s, ETA " + eta + " s");
        }
        if (r.path("under_protected_records").asLong() > 0) {
            out.printf("under-protected: %d records written with fewer copies than their pool asks for (copied first on recovery)%n",
                    r.path("under_protected_records").asLong());
        }
        JsonNode cuts = s.path("consistent_cuts");
        if (!cuts.isMissingNode()) {
            out.printf("consistent cuts: round %d recorded last, rounds up to %d fenced%n", cuts.path("last_recorded").asLong(),
                    cuts.path("fenced_up_to").asLong());
        }
        JsonNode backup = s.path("backup_site");
        if (!backup.isMissingNode()) {
            if (!backup.path("reached").asBoolean()) {
                out.printf("backup site: not reached (%s); it showed round %d when last reached%n", backup.path("error").asText(),
                        backup.path("shown_round").asLong());
            } else {
                out.printf("backup site: shows round %d (%s), %d rounds behind, %s, %d bytes written here not shipped yet%n",
                        backup.path("shown_round").asLong(), backup.path("stage").asText(), backup.path("rounds_behind").asLong(),
                        backup.path("lag_seconds").isNumber() ? String.format("%.1f s behind", backup.path("lag_seconds").asDouble())
                                : "older than the cuts kept here", backup.path("lag_bytes").asLong());
            }
            backup.path("buckets_not_shipped").fields().forEachRemaining(b -> out.printf("backup site: bucket %s is not shipped: %s%n",
                    b.getKey(), b.getValue().asText()));
        }
        if (s.path("sites").size() > 1) {
            for (JsonNode site : s.path("sites")) {
                out.printf("site %s: %d/%d nodes up, %d/%d meta voters up%s%n", site.path("name").asText(), site.path("nodes_up").asInt(),
                        site.path("nodes").asInt(), site.path("meta_voters_up").asInt(), site.path("meta_voters").asInt(),
                        site.path("meta_majority_without_it").asBoolean() ? ""
                                : "; losing it leaves too few meta voters elsewhere: the cluster map would freeze until it returns");
            }
        }
        out.println();
        out.printf("%-14s %-7s %-4s %-8s %-8s %-22s %10s %10s %8s%n", "NODE", "STATE", "IN", "SITE", "ZONE", "S3", "CAPACITY", "USED", "PRIMARY");
        for (JsonNode n : s.path("nodes")) {
            boolean suspect = "up".equals(n.path("state").asText()) && !n.path("suspected_by").isEmpty();
            out.printf("%-14s %-7s %-4s %-8s %-8s %-22s %10s %10s %8d%n", n.path("id").asText(), suspect ? "suspect" : n.path("state").asText(),
                    n.path("tiebreaker").asBoolean() ? "tie" : n.path("in").asBoolean() ? "in" : "out", n.path("site").asText(), n.path("zone").asText(),
                    n.path("public_address").asText(), bytes(n.path("capacity_bytes").asLong()),
                    bytes(n.path("used_bytes").asLong()), n.path("partitions_primary").asInt());
        }
        out.println();
        for (JsonNode pool : s.path("pools")) {
            out.printf("pool %s: %s, %d partitions, %d buckets%n", pool.path("name").asText(), pool.path("policy").asText(),
                    pool.path("partitions").asInt(), pool.path("buckets").asInt());
            if (pool.hasNonNull("site_loss_risk")) {
                out.printf("  warning: %s%n", pool.path("site_loss_risk").asText());
            }
        }
        out.flush();
    }

    static String bytes(long b) {
        String[] units = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
        double v = b;
        int u = 0;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return u == 0 ? b + " B" : String.format("%.1f %s", v, units[u]);
    }
}
