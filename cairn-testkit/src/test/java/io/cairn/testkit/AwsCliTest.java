package io.cairn.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The launcher and awscli, as an operator uses them: {@code ./cairn dev --detach} starts a
 * cluster, {@code . DIR/env} configures awscli, folders go up and down with {@code aws s3 cp
 * --recursive} and {@code aws s3 sync}, and {@code ./cairn admin status} reports the nodes.
 */
@ExtendWith(NodeLogsOnFailure.class)
class AwsCliTest {

    static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

    @TempDir
    Path tmp;
    Path dir;

    @AfterEach
    void stopCluster() throws Exception {
        if (dir != null) {
            run(List.of(ROOT.resolve("cairn").toString(), "dev", "stop", "--dir", dir.toString()), Map.of(), 120);
        }
    }

    @Test
    void copiesAndSyncsFoldersWithAwsCli() throws Exception {
        if (System.getenv("CI") == null) {
            assumeTrue(onPath("aws"), "awscli is not installed (.ci/run installs it; on CI this test fails instead)");
        }
        dir = tmp.resolve("cluster");
        int base = TestCluster.freeBasePort();
        Result dev = run(List.of(ROOT.resolve("cairn").toString(), "dev", "--detach", "--nodes", "3",
                "--dir", dir.toString(), "--base-port", Integer.toString(base)), Map.of(), 300);
        assertThat(dev.code).as(dev.output).isZero();
        assertThat(dev.output).contains("http://127.0.0.1:" + base).contains("access key");
        Map<String, String> env = readEnv(dir.resolve("env"));
        assertThat(env).containsKeys("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION", "AWS_ENDPOINT_URL");

        Path up = tmp.resolve("up");
        Files.createDirectories(up.resolve("nested/deeper"));
        Map<String, byte[]> files = new HashMap<>();
        files.put("a.txt", "hello cairn\n".getBytes(StandardCharsets.UTF_8));
        files.put("empty.bin", new byte[0]);
        files.put("nested/b.bin", ObjectData.bytes(1, 300_000));
        files.put("nested/deeper/c.bin", ObjectData.bytes(2, 5_000));
        files.put("nested/with space.txt", "spaces in keys\n".getBytes(StandardCharsets.UTF_8));
        files.put("large.bin", ObjectData.bytes(3, 20 << 20)); // above awscli's 8 MiB multipart threshold
        for (Map.Entry<String, byte[]> f : files.entrySet()) {
            Files.write(up.resolve(f.getKey()), f.getValue());
        }

        assertOk(aws(env, "mb", "s3://cli", 120));
        assertOk(aws(env, "cp", "--recursive", up.toString(), "s3://cli/data/", 300));
        Result ls = aws(env, "ls", "--recursive", "s3://cli/", 120);
        assertOk(ls);
        assertThat(ls.output).contains("data/nested/deeper/c.bin").contains("data/large.bin");

        Path down = tmp.resolve("down");
        assertOk(aws(env, "cp", "--recursive", "s3://cli/data/", down.toString(), 300));
        assertSameTree(files, down);

        Path synced = tmp.resolve("synced");
        assertOk(aws(env, "sync", "s3://cli/data/", synced.toString(), 300));
        assertSameTree(files, synced);

        // sync up a change and a deletion, then down again.
        Files.writeString(up.resolve("a.txt"), "changed\n");
        Files.delete(up.resolve("nested/deeper/c.bin"));
        files.put("a.txt", "changed\n".getBytes(StandardCharsets.UTF_8));
        files.remove("nested/deeper/c.bin");
        assertOk(aws(env, "sync", "--delete", up.toString(), "s3://cli/data/", 300));
        Path again = tmp.resolve("again");
        assertOk(aws(env, "sync", "s3://cli/data/", again.toString(), 300));
        assertSameTree(files, again);

        Result status = run(List.of(ROOT.resolve("cairn").toString(), "admin", "status", "--dir", dir.toString()), Map.of(), 120);
        assertOk(status);
        assertThat(status.output).contains("partitions:").contains("127.0.0.1:" + base);
        Result json = run(List.of(ROOT.resolve("cairn").toString(), "admin", "status", "--json", "--dir", dir.toString()), Map.of(), 120);
        assertOk(json);
        assertThat(json.output).contains("\"epoch\"").contains("\"capacity_bytes\"").contains("\"usable_bytes\"");

        // Run again on its directory, the dev command keeps the cluster's size; with a larger --nodes, the new node joins.
        Result again3 = run(List.of(ROOT.resolve("cairn").toString(), "dev", "--detach", "--dir", dir.toString()), Map.of(), 300);
        assertThat(again3.code).as(again3.output).isZero();
        assertThat(again3.output).contains("3 nodes in");
        Result grown = run(List.of(ROOT.resolve("cairn").toString(), "dev", "--detach", "--nodes", "4", "--dir", dir.toString()), Map.of(), 300);
        assertThat(grown.code).as(grown.output).isZero();
        assertThat(grown.output).contains("4 nodes in").contains("http://127.0.0.1:" + (base + 3));
        org.awaitility.Awaitility.await("the fourth node up in the map").atMost(java.time.Duration.ofSeconds(60))
                .pollInterval(java.time.Duration.ofSeconds(1)).until(() -> {
                    Result st = run(List.of(ROOT.resolve("cairn").toString(), "admin", "status", "--dir", dir.toString()), Map.of(), 120);
                    return st.code == 0 && st.output.lines().filter(l -> l.matches("n[0-9a-f]{12}\\s+up\\s+in\\b.*")).count() == 4;
                });
    }

    /** Runs {@code aws s3 ARGS} with the endpoint given explicitly too (older awscli ignore AWS_ENDPOINT_URL). */
    private static Result aws(Map<String, String> env, Object... argsAndTimeout) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("aws", "--endpoint-url", env.get("AWS_ENDPOINT_URL"), "s3"));
        for (int i = 0; i < argsAndTimeout.length - 1; i++) {
            cmd.add((String) argsAndTimeout[i]);
        }
        return run(cmd, env, (Integer) argsAndTimeout[argsAndTimeout.length - 1]);
    }

    private static void assertSameTree(Map<String, byte[]> expected, Path dir) throws IOException {
        Map<String, byte[]> actual = new HashMap<>();
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.filter(Files::isRegularFile).toList()) {
                actual.put(dir.relativize(p).toString(), Files.readAllBytes(p));
            }
        }
        assertThat(actual.keySet()).containsExactlyInAnyOrderElementsOf(expected.keySet());
        for (Map.Entry<String, byte[]> e : expected.entrySet()) {
            assertThat(actual.get(e.getKey())).as(e.getKey()).isEqualTo(e.getValue());
        }
    }

    private static Map<String, String> readEnv(Path file) throws IOException {
        Map<String, String> env = new HashMap<>();
        for (String line : Files.readAllLines(file)) {
            if (line.startsWith("export ")) {
                String kv = line.substring("export ".length());
                int eq = kv.indexOf('=');
                env.put(kv.substring(0, eq), kv.substring(eq + 1));
            }
        }
        return env;
    }

    record Result(int code, String output) {}

    private static void assertOk(Result r) {
        assertThat(r.code).as(r.output).isZero();
    }

    static Result run(List<String> cmd, Map<String, String> env, int timeoutSeconds) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(new ArrayList<>(cmd)).redirectErrorStream(true).directory(ROOT.toFile());
        pb.environment().putAll(env);
        pb.environment().put("CAIRN_NO_BUILD", "1");
        pb.environment().put("AWS_CONFIG_FILE", "/dev/null");
        pb.environment().put("AWS_SHARED_CREDENTIALS_FILE", "/dev/null");
        pb.environment().remove("AWS_PROFILE");
        Process p = pb.start();
        p.getOutputStream().close();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("timed out: " + cmd);
        }
        String text = new String(out, StandardCharsets.UTF_8);
        System.out.println("$ " + String.join(" ", cmd) + "\n" + text);
        return new Result(p.exitValue(), text);
    }

    private static boolean onPath(String tool) {
        for (String d : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (Files.isExecutable(Path.of(d, tool))) {
                return true;
            }
        }
        return false;
    }
}
