package io.cairn.server.dev;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cairn.server.NodeConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DevClusterLayoutTest {

    @TempDir
    Path tmp;

    @Test
    void downOutIntervalGoesIntoTheLayoutAndEveryNodeConfig() throws Exception {
        DevCluster c = DevCluster.openOrCreate(tmp, new DevCluster.Options(3, 9000, 8, 500, 10_000, 15_000, 0, Map.of()));
        assertThat(c.layout().downOutIntervalMillis()).isEqualTo(15_000);
        for (int i = 0; i < 3; i++) {
            NodeConfig n = NodeConfig.load(c.nodeDir(i).resolve("config.yaml"));
            assertThat(n.downOutIntervalMillis()).isEqualTo(15_000);
            assertThat(n.downAfterMillis()).isEqualTo(10_000);
        }
        assertThat(DevCluster.open(tmp).layout()).isEqualTo(c.layout());
    }

    @Test
    void constructorsWithoutTheIntervalTakeTheDefault() throws Exception {
        DevCluster.Options defaults = DevCluster.Options.defaults(4);
        assertThat(defaults.downOutIntervalMillis()).isEqualTo(60_000);
        assertThat(new DevCluster.Options(2, 9000, 8, 500, 3000, 0, Map.of()).downOutIntervalMillis()).isEqualTo(60_000);
        DevCluster c = DevCluster.openOrCreate(tmp, defaults);
        assertThat(NodeConfig.load(c.nodeDir(3).resolve("config.yaml")).downOutIntervalMillis()).isEqualTo(60_000);
    }

    @Test
    void aPairOfSitesWithALinkOfItsOwnIsWrittenToEveryNodeAndKept() throws Exception {
        DevCluster c = DevCluster.openOrCreate(tmp, DevCluster.Options.defaults(4).withSites(2).withSiteDelay(25)
                .withSiteLink("site1", "site3", 5, 0).withSiteLink("site2", "site3", 6, 0.5));
        for (int i = 0; i < c.layout().nodes(); i++) {
            io.cairn.meta.SiteLinks links = NodeConfig.load(c.nodeDir(i).resolve("config.yaml")).emulatedSiteLinks();
            assertThat(links.between("site1", "site2")).as("node %d", i).hasValueSatisfying(l -> assertThat(l.roundTripMillis()).isEqualTo(50));
            assertThat(links.between("site3", "site1")).as("node %d", i).hasValueSatisfying(l -> assertThat(l.roundTripMillis()).isEqualTo(10));
            assertThat(links.between("site3", "site2")).as("node %d", i).hasValueSatisfying(l -> assertThat(l.roundTripMillis()).isEqualTo(12));
        }
        assertThat(DevCluster.open(tmp).layout()).isEqualTo(c.layout());
        assertThat(DevCluster.open(tmp).layout().siteLinks()).hasSize(2);
    }

    @Test
    void settingsOfEveryNodeReachANodeAddedLaterAndCannotChange() throws Exception {
        DevCluster.NodeSettings backup = new DevCluster.NodeSettings(null, null, null, null, null, null, null, null, null, 500L, true);
        DevCluster c = DevCluster.openOrCreate(tmp, DevCluster.Options.defaults(3).withEveryNode(backup));
        for (int i = 0; i < c.layout().nodes(); i++) {
            NodeConfig config = NodeConfig.load(c.nodeDir(i).resolve("config.yaml"));
            assertThat(config.cutIntervalMillis()).as("node %d", i).isEqualTo(500);
            assertThat(config.backupSite()).as("node %d", i).isTrue();
        }
        assertThat(DevCluster.open(tmp).layout()).isEqualTo(c.layout());
        assertThat(c.layout().withNodes(4).settings(3)).as("a node added later").isEqualTo(backup);
        assertThat(DevCluster.openOrCreate(tmp, DevCluster.Options.defaults(3)).layout().settings(2)).as("opened again").isEqualTo(backup);
        assertThatThrownBy(() -> DevCluster.openOrCreate(tmp, DevCluster.Options.defaults(3).withEveryNode(DevCluster.NodeSettings.cutInterval(1000))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("cannot change");
        // A node's own settings win over those of every node.
        DevCluster mixed = DevCluster.openOrCreate(tmp.resolve("mixed"), new DevCluster.Options(3, 9000, 16, 200, 2000, 0, 0,
                Map.of(1, DevCluster.NodeSettings.minCopies(1)), false).withEveryNode(DevCluster.NodeSettings.cutInterval(800)));
        assertThat(NodeConfig.load(mixed.nodeDir(0).resolve("config.yaml")).cutIntervalMillis()).isEqualTo(800);
        assertThat(NodeConfig.load(mixed.nodeDir(1).resolve("config.yaml")).cutIntervalMillis()).isZero();
    }

    @Test
    void sitesSpreadTheNodesInTurnAndStayWhatTheClusterWasCreatedWith() throws Exception {
        DevCluster c = DevCluster.openOrCreate(tmp, DevCluster.Options.defaults(6).withSites(2).withSiteDelay(25).withSiteLoss(2.5));
        assertThat(c.layout().sites()).isEqualTo(2);
        assertThat(NodeConfig.load(c.nodeDir(3).resolve("config.yaml")).siteDelayMillis()).isEqualTo(25);
        assertThat(NodeConfig.load(c.nodeDir(3).resolve("config.yaml")).siteLossPercent()).isEqualTo(2.5);
        assertThatThrownBy(() -> DevCluster.openOrCreate(tmp.resolve("lossy"), DevCluster.Options.defaults(6).withSites(2).withSiteLoss(1)))
                .as("loss needs a delay").isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> DevCluster.openOrCreate(tmp.resolve("looped"), DevCluster.Options.defaults(6).withSites(2)
                .withSiteDelay(25).withSiteLink("site1", "site1", 5, 0))).hasMessageContaining("two different sites");
        assertThat(Files.exists(tmp.resolve("looped").resolve("cluster.json"))).isFalse();
        for (int i = 0; i < 6; i++) {
            NodeConfig n = NodeConfig.load(c.nodeDir(i).resolve("config.yaml"));
            assertThat(n.site()).as("node %d", i).isEqualTo(i % 2 == 0 ? "site1" : "site2");
            assertThat(n.zone()).as("node %d", i).isEqualTo("zone" + (i / 2 + 1));
        }
        assertThat(DevCluster.open(tmp).layout()).isEqualTo(c.layout());
        assertThatThrownBy(() -> DevCluster.openOrCreate(tmp, DevCluster.Options.defaults(6).withSites(3)))
                .hasMessageContaining("spreads its nodes over 2 site(s)");
        assertThat(DevCluster.openOrCreate(tmp, DevCluster.Options.defaults(6)).layout().sites()).as("no --sites keeps them").isEqualTo(2);
        assertThatThrownBy(() -> DevCluster.openOrCreate(tmp.resolve("other"), DevCluster.Options.defaults(2).withSites(3)))
                .hasMessageContaining("--sites must be 1..2");
        assertThat(Files.exists(tmp.resolve("other").resolve("cluster.json"))).isFalse();
    }

    @Test
    void twoSitesGetATiebreakerVoterInAThirdSiteAfterTheDataNodes() throws Exception {
        DevCluster c = DevCluster.openOrCreate(tmp, DevCluster.Options.defaults(6).withSites(2));
        assertThat(c.layout().nodes()).as("six data nodes and the tie-breaker").isEqualTo(7);
        assertThat(c.layout().dataNodes()).isEqualTo(6);
        assertThat(c.layout().voterIndexes()).as("one voter in each site, and the tie-breaker").containsExactly(0, 1, 6);
        for (int i = 0; i < 7; i++) {
            NodeConfig n = NodeConfig.load(c.nodeDir(i).resolve("config.yaml"));
            assertThat(n.site()).as("node %d", i).isEqualTo(i == 6 ? "site3" : i % 2 == 0 ? "site1" : "site2");
            assertThat(n.tiebreaker()).as("node %d", i).isEqualTo(i == 6);
            assertThat(n.metaAddress() != null).as("node %d", i).isEqualTo(i == 0 || i == 1 || i == 6);
            assertThat(n.metaVoters()).containsExactly("127.0.0.1:" + c.layout().metaPort(0), "127.0.0.1:" + c.layout().metaPort(1),
                    "127.0.0.1:" + c.layout().metaPort(6));
        }
        DevCluster grown = DevCluster.openOrCreate(tmp, DevCluster.Options.defaults(8));
        assertThat(grown.layout().nodes()).as("two more data nodes, after the tie-breaker").isEqualTo(9);
        assertThat(grown.layout().site(7)).isEqualTo("site1");
        assertThat(grown.layout().site(8)).isEqualTo("site2");
        assertThat(grown.layout().isVoter(7)).isFalse();
        assertThat(DevCluster.open(tmp).layout()).isEqualTo(grown.layout());
        DevCluster three = DevCluster.openOrCreate(tmp.resolve("three"), DevCluster.Options.defaults(6).withSites(3));
        assertThat(three.layout().nodes()).as("three sites hold a voter each: no tie-breaker").isEqualTo(6);
        assertThat(three.layout().voterIndexes()).containsExactly(0, 1, 2);
    }

    @Test
    void aClusterFileWithoutTheIntervalLoadsWithTheDefault() throws Exception {
        Files.writeString(tmp.resolve("cluster.json"), """
                {
                  "cluster_name" : "cairn-dev",
                  "base_port" : 9000,
                  "nodes" : 2,
                  "voters" : 1,
                  "partitions" : 64,
                  "access_key" : "CK0123456789ABCDEF0123",
                  "secret_key" : "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0",
                  "heartbeat_interval_millis" : 1000,
                  "down_after_millis" : 5000,
                  "capacity_bytes" : 0
                }
                """);
        DevCluster c = DevCluster.open(tmp);
        assertThat(c.layout().downOutIntervalMillis()).isEqualTo(DevCluster.DOWN_OUT_INTERVAL_MILLIS_DEFAULT);
        assertThat(c.layout().downAfterMillis()).isEqualTo(5000);
        assertThat(c.layout().nodes()).isEqualTo(2);
        assertThat(c.layout().sites()).as("a file from before sites existed: one site").isEqualTo(1);
        // growing the cluster rewrites the file and the node configurations with the interval
        DevCluster grown = DevCluster.openOrCreate(tmp, DevCluster.Options.defaults(3));
        assertThat(grown.layout().nodes()).isEqualTo(3);
        assertThat(Files.readString(tmp.resolve("cluster.json"))).contains("\"down_out_interval_millis\" : 60000");
        assertThat(NodeConfig.load(grown.nodeDir(2).resolve("config.yaml")).downOutIntervalMillis()).isEqualTo(60_000);
    }

    @Test
    void neverMarkingOutIsAllowed() throws Exception {
        DevCluster c = DevCluster.openOrCreate(tmp, new DevCluster.Options(1, 9000, 8, 500, 3000, 0, 0, Map.of()));
        assertThat(NodeConfig.load(c.nodeDir(0).resolve("config.yaml")).downOutIntervalMillis()).isZero();
    }

    @Test
    void anIntervalShorterThanDownAfterIsRefusedAndWritesNothing() {
        Path dir = tmp.resolve("c");
        assertThatThrownBy(() -> DevCluster.openOrCreate(dir, new DevCluster.Options(3, 9000, 8, 500, 10_000, 9_000, 0, Map.of())))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("down-out interval")
                .hasMessageContaining("10000");
        assertThat(dir).doesNotExist();
    }
}
