package io.cairn.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.core.sync.RequestBody;

/**
 * After a power cut the meta voters come back in any order, minutes apart: a voter that starts
 * while no other voter runs waits for them, however long, instead of exiting when the meta group
 * has no leader (it is one of those that make it), and the cluster serves again once a majority
 * is back.
 */
@ExtendWith(NodeLogsOnFailure.class)
class VotersReturnTest {

    /** Longer than a meta client tries a command without a leader (20 to 25 s with the refused connections). */
    static final Duration ALONE = Duration.ofSeconds(35);

    TestCluster cluster;

    @AfterEach
    void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void a_voter_back_alone_waits_for_the_others() throws Exception {
        cluster = TestCluster.start(3);
        assertThat(cluster.admin().status().path("nodes")).allSatisfy(n -> assertThat(n.path("meta_voter").asBoolean()).isTrue());
        cluster.s3(0).createBucket(b -> b.bucket("kept"));
        cluster.s3(1).putObject(b -> b.bucket("kept").key("k"), RequestBody.fromString("before the power cut"));

        for (int i = 0; i < 3; i++) {
            cluster.kill(i);
        }
        cluster.startAgain(0);
        Thread.sleep(ALONE.toMillis());
        assertThat(cluster.dev().pid(0)).as("voter 0, alone for %s", ALONE)
                .hasValueSatisfying(pid -> assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive)).hasValue(true));
        assertThat(Files.readString(cluster.log(0), StandardCharsets.UTF_8)).containsPattern("waits for a meta leader|waiting for the meta service to register")
                .doesNotContainPattern("exited with code (?!137)"); // 137: the test's SIGKILL

        cluster.startAgain(1);
        cluster.startAgain(2);
        for (int i = 0; i < 3; i++) {
            cluster.awaitUp(i, Duration.ofMinutes(2));
        }
        assertThat(cluster.s3(0).getObjectAsBytes(b -> b.bucket("kept").key("k")).asUtf8String()).isEqualTo("before the power cut");
    }
}
