package io.cairn.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NodeLogReportTest {

    @TempDir
    Path dir;

    private Path log(String text) throws IOException {
        Path log = dir.resolve("log");
        Files.writeString(log, text, StandardCharsets.UTF_8);
        return log;
    }

    @Test
    void aNodeThatDiedUnaskedShowsItsExitCodeFatalMessagesAndTail() throws IOException {
        Path log = log("""
                10:00:00.000 INFO  [main] i.c.server.NodeProcess - node n1 ready: S3 on http://127.0.0.1:20001
                10:00:05.000 INFO  [s3-request-1] some request
                Terminating due to java.lang.OutOfMemoryError: Java heap space
                [launcher] node process 4242 exited with code 3
                """);
        Files.writeString(dir.resolve("hs_err_pid4242.log"), "# A fatal error", StandardCharsets.UTF_8);

        NodeLogReport r = NodeLogReport.of(2, log, Optional.empty(), Set.of(), false, dir);

        assertThat(r.troubled()).isTrue();
        assertThat(r.text())
                .contains("node-2: NOT running and not killed by the test")
                .contains("died without the test killing it: [launcher] node process 4242 exited with code 3")
                .contains("Terminating due to java.lang.OutOfMemoryError")
                .contains("hs_err_pid4242.log")
                .contains("last 4 lines of")
                .contains("some request");
    }

    @Test
    void aNodeKilledByTheTestAndRestartedIsStillReportedForAnEarlierUnaskedDeath() throws IOException {
        Path log = log("""
                [launcher] node process 100 exited with code 137
                10:01:00.000 INFO  [main] restarted
                [launcher] node process 101 exited with code 137
                10:02:00.000 INFO  [main] restarted again
                """);

        NodeLogReport r = NodeLogReport.of(1, log, Optional.of(102L), Set.of(101L), true, dir);

        assertThat(r.troubled()).isTrue();
        assertThat(r.text()).contains("running (pid 102)")
                .contains("died without the test killing it: [launcher] node process 100 exited with code 137")
                .doesNotContain("died without the test killing it: [launcher] node process 101")
                .contains("restarted again");
    }

    @Test
    void aNodeTheTestKilledIsNotTrouble() throws IOException {
        Path log = log("""
                10:00:00.000 INFO  [main] ready
                [launcher] node process 7 exited with code 137
                """);

        NodeLogReport r = NodeLogReport.of(0, log, Optional.empty(), Set.of(7L), false, dir);

        assertThat(r.troubled()).isFalse();
        assertThat(r.text()).contains("node-0: not running: killed by the test").doesNotContain("last ");
    }

    @Test
    void aRunningNodeThatDoesNotAnswerShowsItsTail() throws IOException {
        Path log = log("""
                10:00:00.000 INFO  [main] starting node
                java.net.BindException: Address already in use
                """);

        NodeLogReport r = NodeLogReport.of(3, log, Optional.of(55L), Set.of(), false, dir);

        assertThat(r.troubled()).isTrue();
        assertThat(r.text()).contains("running (pid 55) but NOT answering its health check")
                .contains("errors and fatal messages").contains("BindException").contains("starting node");
    }

    @Test
    void aHealthyNodeWithoutErrorsIsOneLine() throws IOException {
        Path log = log("10:00:00.000 INFO  [main] ready\n");

        NodeLogReport r = NodeLogReport.of(0, log, Optional.of(9L), Set.of(), true, dir);

        assertThat(r.troubled()).isFalse();
        assertThat(r.text()).isEqualTo("=== node-0: running (pid 9)\n");
    }

    @Test
    void bytesThatAreNotUtf8DoNotHideTheLog() throws IOException {
        Path log = dir.resolve("log");
        Files.write(log, new byte[] {'a', (byte) 0xff, (byte) 0xfe, '\n', 'b', 'y', 'e', '\n'});

        NodeLogReport r = NodeLogReport.of(0, log, Optional.empty(), Set.of(), false, dir);

        assertThat(r.troubled()).isTrue();
        assertThat(r.text()).contains("NOT running").contains("bye");
    }

    @Test
    void aMissingLogIsSaid() {
        NodeLogReport r = NodeLogReport.of(4, dir.resolve("nothing"), Optional.empty(), Set.of(), false, dir);

        assertThat(r.troubled()).isTrue();
        assertThat(r.text()).contains("node-4: no log at").contains("not running");
    }
}
