package io.cairn.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NodeConfigTest {

    @TempDir
    Path tmp;

    private Path write(String yaml) throws Exception {
        Path f = tmp.resolve("node.yaml");
        Files.writeString(f, yaml);
        return f;
    }

    private static final String MINIMAL = """
            data_dir: /var/lib/cairn
            public_address: 127.0.0.1:9000
            cluster_address: 127.0.0.1:9100
            meta_voters: [127.0.0.1:9200]
            plaintext_cluster: true
            """;

    @Test
    void minimalConfigGetsDefaults() throws Exception {
        NodeConfig c = NodeConfig.load(write(MINIMAL));
        assertThat(c.site()).isEqualTo("site1");
        assertThat(c.zone()).isEqualTo("zone1");
        assertThat(c.partitions()).isEqualTo(64);
        assertThat(c.chunkSizeBytes()).isEqualTo(4 << 20);
        assertThat(c.metaAddress()).isNull();
        assertThat(c.storePaths()).containsExactly(Path.of("/var/lib/cairn/store"));
        assertThat(c.downOutIntervalMillis()).isEqualTo(60_000L);
        assertThat(c.fullRatio()).isEqualTo(0.90);
    }

    @Test
    void downOutIntervalAndFullRatioAreRead() throws Exception {
        NodeConfig c = NodeConfig.load(write(MINIMAL + "down_after_millis: 10000\ndown_out_interval_millis: 15000\nfull_ratio: 0.75\n"));
        assertThat(c.downOutIntervalMillis()).isEqualTo(15_000L);
        assertThat(c.fullRatio()).isEqualTo(0.75);
        NodeConfig never = NodeConfig.load(write(MINIMAL + "down_out_interval_millis: 0\nfull_ratio: 1\n"));
        assertThat(never.downOutIntervalMillis()).isZero();
        assertThat(never.fullRatio()).isEqualTo(1.0);
        NodeConfig equal = NodeConfig.load(write(MINIMAL + "down_after_millis: 8000\ndown_out_interval_millis: 8000\n"));
        assertThat(equal.downOutIntervalMillis()).isEqualTo(8000L);
    }

    @Test
    void recoveryBytesPerSecondDefaultsTo128MiBAndRefusesNegatives() throws Exception {
        assertThat(NodeConfig.load(write(MINIMAL)).recoveryBytesPerSecond()).isEqualTo(128L << 20);
        assertThat(NodeConfig.load(write(MINIMAL + "recovery_bytes_per_second: 0\n")).recoveryBytesPerSecond()).isZero();
        assertThatThrownBy(() -> NodeConfig.load(write(MINIMAL + "recovery_bytes_per_second: -5\n")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("'recovery_bytes_per_second'");
    }

    @Test
    void minCopiesDefaultsToOneAndRefusesValuesOutsideOneToSixteen() throws Exception {
        assertThat(NodeConfig.load(write(MINIMAL)).minCopies()).isEqualTo(1);
        assertThat(NodeConfig.load(write(MINIMAL + "min_copies: 2\n")).minCopies()).isEqualTo(2);
        for (String bad : new String[] {"0", "17", "-1"}) {
            assertThatThrownBy(() -> NodeConfig.load(write(MINIMAL + "min_copies: " + bad + "\n")))
                    .isInstanceOf(ConfigException.class).hasMessageContaining("'min_copies'");
        }
    }

    @Test
    void theClusterPortsRunMutualTlsUnlessATestSaysOtherwise() throws Exception {
        String bare = MINIMAL.replace("plaintext_cluster: true\n", "");
        assertThatThrownBy(() -> NodeConfig.load(write(bare))).isInstanceOf(ConfigException.class)
                .hasMessageContaining("'cluster_tls_dir' is required");
        Path tlsDir = Files.createDirectories(tmp.resolve("tls0"));
        assertThatThrownBy(() -> NodeConfig.load(write(MINIMAL + "cluster_tls_dir: " + tlsDir + "\n")))
                .isInstanceOf(ConfigException.class);
        assertThat(NodeConfig.load(write(MINIMAL)).plaintextCluster()).isTrue();
    }

    @Test
    void aJoinTokenTakesThePlaceOfCertificatesAndNeedsEndpoints() throws Exception {
        Path masterKey = tmp.resolve("master.key");
        io.cairn.server.gateway.SseS3.createIfAbsent(masterKey);
        String MINIMAL = NodeConfigTest.MINIMAL.replace("plaintext_cluster: true\n", "sse_master_key_file: " + masterKey + "\n");
        Path tlsDir = Files.createDirectories(tmp.resolve("tls"));
        String token = "CAIRN-JOIN-1." + "A".repeat(43) + "." + "0".repeat(64);
        assertThatThrownBy(() -> NodeConfig.load(write(MINIMAL + "cluster_tls_dir: " + tlsDir + "\n")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("'cluster_tls_dir'").hasMessageContaining("join_token");
        NodeConfig c = NodeConfig.load(write(MINIMAL + "cluster_tls_dir: " + tlsDir + "\njoin_token: " + token
                + "\njoin_endpoints: [http://10.0.0.1:9000, https://10.0.0.2:9000/]\n"));
        assertThat(c.joinEndpoints()).hasSize(2);
        assertThatThrownBy(() -> NodeConfig.load(write(MINIMAL + "cluster_tls_dir: " + tlsDir + "\njoin_token: " + token + "\n")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("'join_endpoints'");
        assertThatThrownBy(() -> NodeConfig.load(write(MINIMAL + "cluster_tls_dir: " + tlsDir + "\njoin_token: not-a-token\n"
                + "join_endpoints: [http://10.0.0.1:9000]\n")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("'join_token'");
        assertThatThrownBy(() -> NodeConfig.load(write(MINIMAL + "cluster_tls_dir: " + tlsDir + "\njoin_token: " + token
                + "\njoin_endpoints: [10.0.0.1:9000]\n")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("'join_endpoints'");
        assertThatThrownBy(() -> NodeConfig.load(write(MINIMAL + "join_token: " + token + "\njoin_endpoints: [http://10.0.0.1:9000]\n")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("'join_token'");
    }

    @Test
    void aBootstrapTokenMakesTheCaOnTheFirstVoterWithAMasterKeyAndJoinsEveryOtherFirstNode() throws Exception {
        String base = NodeConfigTest.MINIMAL.replace("plaintext_cluster: true\n", "")
                .replace("meta_voters: [127.0.0.1:9200]", "meta_voters: [127.0.0.1:9200, 127.0.0.1:9201, 127.0.0.1:9202]");
        Path tlsDir = Files.createDirectories(tmp.resolve("tls"));
        Path masterKey = tmp.resolve("master.key");
        io.cairn.server.gateway.SseS3.createIfAbsent(masterKey);
        String token = io.cairn.meta.tls.BootstrapToken.create().toString();
        String first = base + "meta_address: 127.0.0.1:9200\nadmin_access_key: ADMINKEY1\nadmin_secret_key: " + "s".repeat(20) + "\ncluster_tls_dir: " + tlsDir + "\nbootstrap_token: " + token + "\n";
        // Every node of a cluster with TLS has the master key: it seals secrets and the CA key in the map.
        assertThatThrownBy(() -> NodeConfig.load(write(first)))
                .isInstanceOf(ConfigException.class).hasMessageContaining("'sse_master_key_file' is required");
        NodeConfig c = NodeConfig.load(write(first + "sse_master_key_file: " + masterKey + "\n"));
        assertThat(c.isFirstVoter()).isTrue();
        assertThat(c.toString()).doesNotContain(token.substring(13));
        // Any other first node joins the first voter with it.
        String second = base + "meta_address: 127.0.0.1:9201\nadmin_access_key: ADMINKEY1\nadmin_secret_key: " + "s".repeat(20) + "\ncluster_tls_dir: " + tlsDir + "\nbootstrap_token: " + token + "\nsse_master_key_file: " + masterKey + "\n";
        assertThatThrownBy(() -> NodeConfig.load(write(second)))
                .isInstanceOf(ConfigException.class).hasMessageContaining("'join_endpoints'");
        assertThat(NodeConfig.load(write(second + "join_endpoints: [http://127.0.0.1:9000]\n")).isFirstVoter()).isFalse();
        assertThatThrownBy(() -> NodeConfig.load(write(second.replace(token, "CAIRN-BOOT-1.short") + "join_endpoints: [http://127.0.0.1:9000]\n")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("'bootstrap_token'");
        assertThatThrownBy(() -> NodeConfig.load(write(base + "bootstrap_token: " + token + "\nplaintext_cluster: true\n")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("'bootstrap_token'");
    }

    @Test
    void siteLinksGiveAPairOfSitesADelayAndLossOfItsOwn() throws Exception {
        NodeConfig c = NodeConfig.load(write(MINIMAL + """
                site_delay_millis: 25
                site_loss_percent: 1
                site_links:
                  - {sites: [site1, site3], delay_millis: 5}
                  - sites: [site3, site2]
                    delay_millis: 6
                    loss_percent: 0.5
                """));
        io.cairn.meta.SiteLinks links = c.emulatedSiteLinks();
        assertThat(links.between("site1", "site2")).hasValueSatisfying(l -> assertThat(l.roundTripMillis()).isEqualTo(50));
        assertThat(links.between("site3", "site1")).hasValueSatisfying(l -> assertThat(l.roundTripMillis()).isEqualTo(10));
        assertThat(links.between("site2", "site3")).hasValueSatisfying(l -> assertThat(l.roundTripMillis()).isEqualTo(12));
        assertThat(NodeConfig.load(write(MINIMAL)).emulatedSiteLinks()).isSameAs(io.cairn.meta.SiteLinks.NONE);
        for (String bad : new String[] {
                "site_links:\n  - {sites: [site1], delay_millis: 5}\n",
                "site_links:\n  - {sites: [site1, site1], delay_millis: 5}\n",
                "site_links:\n  - {sites: [site1, site2]}\n",
                "site_links:\n  - {sites: [site1, site2], delay_millis: 10001}\n",
                "site_links:\n  - {sites: [site1, site2], delay_millis: 0, loss_percent: 1}\n",
                "site_links:\n  - {sites: [site1, site2], delay_millis: 5}\n  - {sites: [site2, site1], delay_millis: 6}\n"}) {
            assertThatThrownBy(() -> NodeConfig.load(write(MINIMAL + bad))).as(bad)
                    .isInstanceOf(ConfigException.class).hasMessageContaining("'site_links");
        }
        assertThatThrownBy(() -> NodeConfig.load(write(MINIMAL + "site_links:\n  - {sites: [a, b], delay: 5}\n")))
                .as("a typo inside a link").isInstanceOf(ConfigException.class).hasMessageContaining("delay");
        for (String bad : new String[] {"site_delay_millis: -1\n", "site_delay_millis: 10001\n", "site_loss_percent: 1\n",
                "site_delay_millis: 5\nsite_loss_percent: 101\n"}) {
            assertThatThrownBy(() -> NodeConfig.load(write(MINIMAL + bad))).as(bad)
                    .isInstanceOf(ConfigException.class).hasMessageContaining("'site_delay_millis' and 'site_loss_percent'");
        }
    }

    @Test
    void requestLimitsHaveDefaultsAndRefuseNonsense() throws Exception {
        NodeConfig d = NodeConfig.load(write(MINIMAL));
        assertThat(d.clockSkewSeconds()).isEqualTo(900L);
        assertThat(d.concurrentRequestsMax()).isEqualTo(1024);
        assertThat(d.failedSignaturesPerMinute()).isEqualTo(600);
        assertThat(d.minUploadBytesPerSecond()).isEqualTo(1024L);
        NodeConfig c = NodeConfig.load(write(MINIMAL + "clock_skew_seconds: 60\nconcurrent_requests_max: 64\n"
                + "failed_signatures_per_minute: 0\nmin_upload_bytes_per_second: 0\n"));
        assertThat(c.clockSkewSeconds()).isEqualTo(60L);
        assertThat(c.concurrentRequestsMax()).isEqualTo(64);
        assertThat(c.failedSignaturesPerMinute()).isZero();
        assertThat(c.minUploadBytesPerSecond()).isZero();
        for (String bad : new String[] {"clock_skew_seconds: 0", "clock_skew_seconds: 86401", "concurrent_requests_max: 0",
                "failed_signatures_per_minute: -1", "min_upload_bytes_per_second: -1", "min_upload_bytes_per_second: fast"}) {
            String field = bad.substring(0, bad.indexOf(':'));
            assertThatThrownBy(() -> NodeConfig.load(write(MINIMAL + bad + "\n")))
                    .isInstanceOf(ConfigException.class).hasMessageContaining("'" + field + "'");
        }
    }

    @Test
    void orphanChunkGraceIsADayByDefaultZeroOrAtLeastAnHourAndLongerThanAPut() throws Exception {
        assertThat(NodeConfig.load(write(MINIMAL)).orphanChunkGraceSeconds()).isEqualTo(86_400);
        assertThat(NodeConfig.load(write(MINIMAL + "orphan_chunk_grace_seconds: 0\n")).orphanChunkGraceSeconds()).isZero();
        assertThat(NodeConfig.load(write(MINIMAL + "orphan_chunk_grace_seconds: 3600\nrequest_deadline_seconds: 1800\n"))
                .orphanChunkGraceSeconds()).isEqualTo(3600);
        assertThatThrownBy(() -> NodeConfig.load(write(MINIMAL + "orphan_chunk_grace_seconds: 7200\n")))
                .as("no longer than the longest PUT (request_deadline_seconds, 7200)").isInstanceOf(ConfigException.class)
                .hasMessageContaining("'orphan_chunk_grace_seconds'").hasMessageContaining("request_deadline_seconds");
        for (String bad : List.of("59", "3599", "-1")) {
            assertThatThrownBy(() -> NodeConfig.load(write(MINIMAL + "orphan_chunk_grace_seconds: " + bad + "\n")))
                    .as(bad).isInstanceOf(ConfigException.class).hasMessageContaining("'orphan_chunk_grace_seconds'");
        }
    }

    @Test
    void downOutIntervalShorterThanDownAfterIsRefused() throws Exception {
        assertThatThrownBy(() -> NodeConfig.load(write(MINIMAL + "down_after_millis: 10000\ndown_out_interval_millis: 9999\n")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("'down_out_interval_millis'")
                .hasMessageContaining("down_after_millis (10000)");
        assertThatThrownBy(() -> NodeConfig.load(write(MINIMAL + "down_out_interval_millis: 1000\n")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("'down_out_interval_millis'");
        assertThatThrownBy(() -> NodeConfig.load(write(MINIMAL + "down_out_interval_millis: -1\n")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("'down_out_interval_millis'");
        assertThatThrownBy(() -> NodeConfig.load(write(MINIMAL + "down_out_interval_millis: soon\n")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("'down_out_interval_millis'");
    }

    @Test
    void fullRatioOutsideZeroToOneIsRefused() throws Exception {
        for (String bad : new String[] {"0", "-0.5", "1.01", "2", ".nan", "lots"}) {
            assertThatThrownBy(() -> NodeConfig.load(write(MINIMAL + "full_ratio: " + bad + "\n")))
                    .as("full_ratio: %s", bad)
                    .isInstanceOf(ConfigException.class).hasMessageContaining("'full_ratio'");
        }
    }

    @Test
    void unknownFieldIsNamedWithTheKnownOnes() throws Exception {
        assertThatThrownBy(() -> NodeConfig.load(write(MINIMAL + "zonee: z2\n")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("unknown field 'zonee'")
                .hasMessageContaining("line 6")
                .hasMessageContaining("zone");
    }

    @Test
    void invalidValuesNameTheirField() throws Exception {
        assertThatThrownBy(() -> NodeConfig.load(write(MINIMAL + "partitions: lots\n")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("'partitions'");
        assertThatThrownBy(() -> NodeConfig.load(write(MINIMAL + "partitions: 0\n")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("'partitions'");
        assertThatThrownBy(() -> NodeConfig.load(write(MINIMAL.replace("127.0.0.1:9100", "localhost"))))
                .isInstanceOf(ConfigException.class).hasMessageContaining("'cluster_address'");
        assertThatThrownBy(() -> NodeConfig.load(write(MINIMAL + "heartbeat_interval_millis: 1000\ndown_after_millis: 1500\n")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("'down_after_millis'");
        assertThatThrownBy(() -> NodeConfig.load(write(MINIMAL + "zone: 'has space'\n")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("'zone'");
    }

    @Test
    void aVoterNeedsItsAddressAmongTheVotersAndAdminKeys() throws Exception {
        assertThatThrownBy(() -> NodeConfig.load(write(MINIMAL + "meta_address: 127.0.0.1:9201\n")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("'meta_address'");
        assertThatThrownBy(() -> NodeConfig.load(write(MINIMAL + "meta_address: 127.0.0.1:9200\n")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("'admin_access_key'");
        NodeConfig c = NodeConfig.load(write(MINIMAL + "meta_address: 127.0.0.1:9200\nadmin_access_key: CKADMIN000001\n"
                + "admin_secret_key: a-secret-of-enough-length\n"));
        assertThat(c.metaAddress()).isEqualTo("127.0.0.1:9200");
        assertThat(c.tiebreaker()).as("default").isFalse();
    }

    @Test
    void aTiebreakerMustBeAVoter() throws Exception {
        assertThatThrownBy(() -> NodeConfig.load(write(MINIMAL + "tiebreaker: true\n")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("'tiebreaker'").hasMessageContaining("meta_address");
        NodeConfig c = NodeConfig.load(write(MINIMAL + "tiebreaker: true\nmeta_address: 127.0.0.1:9200\nadmin_access_key: CKADMIN000001\n"
                + "admin_secret_key: a-secret-of-enough-length\n"));
        assertThat(c.tiebreaker()).isTrue();
    }

    @Test
    void missingAndEmptyFilesAreClear() throws Exception {
        assertThatThrownBy(() -> NodeConfig.load(tmp.resolve("nope.yaml")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("no such configuration file");
        assertThatThrownBy(() -> NodeConfig.load(write("")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("empty");
        assertThatThrownBy(() -> NodeConfig.load(write("data_dir: [unclosed\n")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("node.yaml");
    }

    @Test
    void aBackupSiteIsSaidByAFlag() throws Exception {
        assertThat(NodeConfig.load(write(MINIMAL)).backupSite()).isFalse();
        assertThat(NodeConfig.load(write(MINIMAL + "backup_site: true\n")).backupSite()).isTrue();
        assertThatThrownBy(() -> NodeConfig.load(write(MINIMAL + "backup_site: perhaps\n"))).isInstanceOf(ConfigException.class)
                .hasMessageContaining("backup_site");
        assertThatThrownBy(() -> NodeConfig.load(write(MINIMAL + "backup_endpoints: [http://127.0.0.1:9000]\n")))
                .as("a backup site is linked by cairn admin replicate add, not in the config").isInstanceOf(ConfigException.class)
                .hasMessageContaining("backup_endpoints");
    }
}
