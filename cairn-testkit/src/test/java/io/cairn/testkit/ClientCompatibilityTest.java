package io.cairn.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Real S3 clients from Debian packages against a 3-node cluster serving S3 over HTTPS only
 * ({@code ./cairn dev --tls}; each client trusts the dev cluster's CA and checks the node's
 * certificate): a scripted boto3 session ({@code compat/boto3_session.py}), s3cmd, rclone and
 * awscli, each checking byte-identical round trips
 * (multipart included), listings, special-character keys and error codes. A client that is not
 * installed skips its part with a message, unless the environment variable {@code CI} is set
 * (then it fails; {@code .ci/run} installs them). Object contents are seeded: the boto3 script
 * prints its seed and takes {@code COMPAT_SEED}, the Java side uses the fixed seeds below.
 */
@ExtendWith(NodeLogsOnFailure.class)
class ClientCompatibilityTest {
    /** Longest any one client command may run. */
    static final int COMMAND_TIMEOUT_SECONDS = 120;
    /** Above the 5 MiB part size given to each client, so every one of them uploads in parts. */
    static final int LARGE_OBJECT_BYTES = 11 * 1024 * 1024 + 77;

    static TestCluster cluster;

    @TempDir
    static Path tmp;

    @BeforeAll
    static void startCluster() throws IOException {
        boolean anyClient = python3WithBoto3() || onPath("s3cmd") || onPath("rclone") || onPath("aws");
        if (System.getenv("CI") == null) {
            assumeTrue(anyClient, "none of boto3 (python3-boto3), s3cmd, rclone, awscli is installed; .ci/run installs them");
        }
        cluster = TestCluster.startTls(3);
    }

    @AfterAll
    static void stopCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void boto3Session() throws Exception {
        requireClient(python3WithBoto3(), "python3 with boto3 (Debian package python3-boto3)");
        Path work = Files.createDirectories(tmp.resolve("boto3"));
        Path script = work.resolve("boto3_session.py");
        try (InputStream in = ClientCompatibilityTest.class.getResourceAsStream("/compat/boto3_session.py")) {
            assertThat(in).as("compat/boto3_session.py on the test classpath").isNotNull();
            Files.write(script, in.readAllBytes());
        }
        Result r = run(List.of("python3", script.toString(), work.toString()), awsEnv(0));
        assertThat(r.output).contains("PASS bucket create").contains("FAILED: none");
        assertThat(r.code).as(r.output).isZero();
    }

    @Test
    void s3cmdSession() throws Exception {
        requireClient(onPath("s3cmd"), "s3cmd (Debian package s3cmd)");
        Path work = Files.createDirectories(tmp.resolve("s3cmd"));
        Path config = s3cmdConfig(work, 1, "check_ssl_certificate = True", "check_ssl_hostname = True", "bucket_location = us-east-1",
                "multipart_chunk_size_mb = 5");
        Path up = work.resolve("up");
        Map<String, byte[]> files = sampleTree(up, 10);
        List<String> s3cmd = List.of("s3cmd", "-c", config.toString());

        assertOk(run(cmd(s3cmd, "mb", "s3://s3cmd-compat"), Map.of()));
        Result put = run(cmd(s3cmd, "put", up.resolve("large.bin").toString(), "s3://s3cmd-compat/single/large.bin"),
                Map.of());
        assertOk(put);
        assertThat(partCount("s3cmd-compat", "single/large.bin")).as("s3cmd uploads in 5 MiB parts").isEqualTo(3);
        Path got = work.resolve("large.out");
        assertOk(run(cmd(s3cmd, "get", "s3://s3cmd-compat/single/large.bin", got.toString()), Map.of()));
        assertThat(Files.readAllBytes(got)).isEqualTo(files.get("large.bin"));

        assertOk(run(cmd(s3cmd, "sync", up + "/", "s3://s3cmd-compat/tree/"), Map.of()));
        Result ls = run(cmd(s3cmd, "ls", "s3://s3cmd-compat/tree/"), Map.of());
        assertOk(ls);
        assertThat(ls.output).contains("DIR").contains("s3://s3cmd-compat/tree/nested/")
                .contains("s3://s3cmd-compat/tree/a+b=c.txt");
        Result la = run(cmd(s3cmd, "la"), Map.of());
        assertOk(la);
        assertThat(la.output).contains("DIR  s3://s3cmd-compat/single/").contains("DIR  s3://s3cmd-compat/tree/");
        Result recursive = run(cmd(s3cmd, "ls", "--recursive", "s3://s3cmd-compat"), Map.of());
        assertOk(recursive);
        assertThat(recursive.output).contains(LARGE_OBJECT_BYTES + "  s3://s3cmd-compat/single/large.bin")
                .contains("s3://s3cmd-compat/tree/nested/with space.txt")
                .contains("s3://s3cmd-compat/tree/nested/deeper/\u00e9t\u00e9.bin");
        Result again = run(cmd(s3cmd, "sync", up + "/", "s3://s3cmd-compat/tree/"), Map.of());
        assertOk(again);
        assertThat(again.output).as("a second sync uploads nothing").doesNotContain("upload:");

        Path down = work.resolve("down");
        assertOk(run(cmd(s3cmd, "sync", "s3://s3cmd-compat/tree/", down + "/"), Map.of()));
        assertSameTree(files, down);

        Result missing = run(cmd(s3cmd, "get", "s3://s3cmd-compat/none", work.resolve("none").toString()), Map.of());
        assertThat(missing.code).as(missing.output).isNotZero();
        Result notEmpty = run(cmd(s3cmd, "rb", "s3://s3cmd-compat"), Map.of());
        assertThat(notEmpty.code).as(notEmpty.output).isNotZero();
        assertThat(notEmpty.output).contains("BucketNotEmpty");

        assertOk(run(cmd(s3cmd, "del", "s3://s3cmd-compat/single/large.bin"), Map.of()));
        assertOk(run(cmd(s3cmd, "del", "--recursive", "--force", "s3://s3cmd-compat/tree/"), Map.of()));
        assertOk(run(cmd(s3cmd, "rb", "s3://s3cmd-compat"), Map.of()));
        Result gone = run(cmd(s3cmd, "ls", "s3://s3cmd-compat"), Map.of());
        assertThat(gone.code).as(gone.output).isNotZero();
        assertThat(gone.output).contains("NoSuchBucket");
    }

    /**
     * Clients set up for another region than the cluster's sign again for the one its refusal
     * names: s3cmd with its default bucket location ({@code US}), awscli with {@code --region}.
     */
    @Test
    void clientsSetUpForAnotherRegionFollowTheOneTheClusterNames() throws Exception {
        requireClient(onPath("s3cmd") && onPath("aws"), "s3cmd and awscli (Debian packages s3cmd, awscli)");
        Path work = Files.createDirectories(tmp.resolve("regions"));
        Path config = s3cmdConfig(work, 2); // no bucket_location: s3cmd's default, US
        Path file = work.resolve("hello.txt");
        Files.writeString(file, "hello from another region");
        List<String> s3cmd = List.of("s3cmd", "-c", config.toString());
        assertOk(run(cmd(s3cmd, "mb", "s3://elsewhere"), Map.of()));
        assertOk(run(cmd(s3cmd, "put", file.toString(), "s3://elsewhere/hello.txt"), Map.of()));
        Result info = run(cmd(s3cmd, "info", "s3://elsewhere"), Map.of());
        assertOk(info);
        assertThat(info.output).contains("Location:  us-east-1");

        Map<String, String> env = new java.util.HashMap<>(awsEnv(2));
        env.put("AWS_REGION", "eu-west-1");
        env.put("AWS_DEFAULT_REGION", "eu-west-1");
        Result cat = run(List.of("aws", "s3", "cp", "s3://elsewhere/hello.txt", "-"), env);
        assertOk(cat);
        assertThat(cat.output).contains("hello from another region");
        assertOk(run(cmd(s3cmd, "del", "s3://elsewhere/hello.txt"), Map.of()));
        assertOk(run(cmd(s3cmd, "rb", "s3://elsewhere"), Map.of()));
    }

    @Test
    void rcloneSession() throws Exception {
        requireClient(onPath("rclone"), "rclone (Debian package rclone)");
        Path work = Files.createDirectories(tmp.resolve("rclone"));
        Path config = work.resolve("rclone.conf");
        Files.writeString(config, String.join("\n",
                "[cairn]",
                "type = s3",
                "provider = Other",
                "access_key_id = " + cluster.accessKey(),
                "secret_access_key = " + cluster.secretKey(),
                "endpoint = " + cluster.endpoint(2),
                "region = us-east-1",
                ""));
        Path up = work.resolve("up");
        Map<String, byte[]> files = sampleTree(up, 20);
        List<String> rclone = List.of("rclone", "--config", config.toString(), "--ca-cert", cluster.dev().publicCaFile().toString(),
                "--s3-upload-cutoff", "5M",
                "--s3-chunk-size", "5M", "--retries", "1", "--low-level-retries", "2");

        assertOk(run(cmd(rclone, "mkdir", "cairn:rclone-compat"), Map.of()));
        assertOk(run(cmd(rclone, "copy", up.toString(), "cairn:rclone-compat/copy"), Map.of()));
        Result ls = run(cmd(rclone, "ls", "cairn:rclone-compat/copy"), Map.of());
        assertOk(ls);
        assertThat(ls.output).contains(LARGE_OBJECT_BYTES + " large.bin").contains("nested/with space.txt")
                .contains("a+b=c.txt");
        Result lsd = run(cmd(rclone, "lsd", "cairn:"), Map.of());
        assertOk(lsd);
        assertThat(lsd.output).contains("rclone-compat");
        assertOk(run(cmd(rclone, "check", up.toString(), "cairn:rclone-compat/copy"), Map.of()));
        Result cat = run(cmd(rclone, "cat", "cairn:rclone-compat/copy/nested/with space.txt"), Map.of());
        assertOk(cat);
        assertThat(cat.output).contains(new String(files.get("nested/with space.txt"), StandardCharsets.UTF_8));

        assertOk(run(cmd(rclone, "copyto", up.resolve("large.bin").toString(), "cairn:rclone-compat/big/large.bin"),
                Map.of()));
        assertThat(partCount("rclone-compat", "big/large.bin")).as("rclone uploads in 5 MiB parts").isEqualTo(3);
        Path got = work.resolve("large.out");
        assertOk(run(cmd(rclone, "copyto", "cairn:rclone-compat/big/large.bin", got.toString()), Map.of()));
        assertThat(Files.readAllBytes(got)).isEqualTo(files.get("large.bin"));

        Files.delete(up.resolve("empty.bin"));
        files.remove("empty.bin");
        Files.writeString(up.resolve("a.txt"), "changed\n");
        files.put("a.txt", "changed\n".getBytes(StandardCharsets.UTF_8));
        assertOk(run(cmd(rclone, "sync", up.toString(), "cairn:rclone-compat/copy"), Map.of()));
        Path down = work.resolve("down");
        assertOk(run(cmd(rclone, "sync", "cairn:rclone-compat/copy", down.toString()), Map.of()));
        assertSameTree(files, down);
        assertOk(run(cmd(rclone, "check", up.toString(), "cairn:rclone-compat/copy"), Map.of()));

        Result missing = run(cmd(rclone, "lsd", "cairn:no-such-bucket-compat"), Map.of());
        assertThat(missing.code).as(missing.output).isNotZero();
        assertThat(missing.output).contains("directory not found");

        assertOk(run(cmd(rclone, "delete", "cairn:rclone-compat/copy"), Map.of()));
        Result afterDelete = run(cmd(rclone, "ls", "cairn:rclone-compat"), Map.of());
        assertOk(afterDelete);
        assertThat(afterDelete.output).contains("big/large.bin").doesNotContain("a.txt");
        assertOk(run(cmd(rclone, "purge", "cairn:rclone-compat"), Map.of()));
        Result after = run(cmd(rclone, "lsd", "cairn:"), Map.of());
        assertOk(after);
        assertThat(after.output).doesNotContain("rclone-compat");
    }

    @Test
    void awscliSession() throws Exception {
        requireClient(onPath("aws"), "awscli (Debian package awscli)");
        Path work = Files.createDirectories(tmp.resolve("awscli"));
        Path up = work.resolve("up");
        Map<String, byte[]> files = sampleTree(up, 30);
        Map<String, String> env = awsEnv(1);
        assertOk(run(List.of("aws", "s3", "mb", "s3://awscli-tls"), env));
        assertOk(run(List.of("aws", "s3", "cp", "--recursive", up.toString(), "s3://awscli-tls/tree/"), env));
        Result ls = run(List.of("aws", "s3", "ls", "--recursive", "s3://awscli-tls/tree/"), env);
        assertOk(ls);
        assertThat(ls.output).contains("tree/nested/with space.txt").contains(LARGE_OBJECT_BYTES + " tree/large.bin");
        Path down = work.resolve("down");
        assertOk(run(List.of("aws", "s3", "cp", "--recursive", "s3://awscli-tls/tree/", down.toString()), env));
        assertSameTree(files, down);
        // SSE-S3 asked for by awscli (a multipart upload, the file being large), and by a bucket default.
        assertOk(run(List.of("aws", "s3", "cp", "--sse", "AES256", up.resolve("large.bin").toString(), "s3://awscli-tls/sealed/large.bin"), env));
        Result head = run(List.of("aws", "s3api", "head-object", "--bucket", "awscli-tls", "--key", "sealed/large.bin"), env);
        assertOk(head);
        assertThat(head.output).contains("\"ServerSideEncryption\": \"AES256\"");
        assertOk(run(List.of("aws", "s3api", "put-bucket-encryption", "--bucket", "awscli-tls", "--server-side-encryption-configuration",
                "{\"Rules\":[{\"ApplyServerSideEncryptionByDefault\":{\"SSEAlgorithm\":\"AES256\"}}]}"), env));
        Result rule = run(List.of("aws", "s3api", "get-bucket-encryption", "--bucket", "awscli-tls"), env);
        assertOk(rule);
        assertThat(rule.output).contains("AES256");
        Path sealedDown = work.resolve("sealed.bin");
        assertOk(run(List.of("aws", "s3", "cp", "s3://awscli-tls/sealed/large.bin", sealedDown.toString()), env));
        assertThat(Files.readAllBytes(sealedDown)).isEqualTo(files.get("large.bin"));
        assertOk(run(List.of("aws", "s3api", "delete-bucket-encryption", "--bucket", "awscli-tls"), env));
        // A bucket policy set, read and deleted by awscli.
        String policy = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":\"*\","
                + "\"Action\":\"s3:GetObject\",\"Resource\":\"arn:aws:s3:::awscli-tls/tree/*\"}]}";
        assertOk(run(List.of("aws", "s3api", "put-bucket-policy", "--bucket", "awscli-tls", "--policy", policy), env));
        Result got = run(List.of("aws", "s3api", "get-bucket-policy", "--bucket", "awscli-tls", "--output", "text"), env);
        assertOk(got);
        assertThat(got.output.strip()).isEqualTo(policy);
        assertOk(run(List.of("aws", "s3api", "delete-bucket-policy", "--bucket", "awscli-tls"), env));
        Result none = run(List.of("aws", "s3api", "get-bucket-policy", "--bucket", "awscli-tls"), env);
        assertThat(none.code).isNotZero();
        assertThat(none.output).contains("NoSuchBucketPolicy");
        // Without the CA bundle the node's certificate is not trusted, and nothing is read.
        Map<String, String> untrusting = new HashMap<>(env);
        untrusting.remove("AWS_CA_BUNDLE");
        Result refused = run(List.of("aws", "s3", "ls", "s3://awscli-tls/"), untrusting);
        assertThat(refused.code).as(refused.output).isNotZero();
        assertThat(refused.output).containsIgnoringCase("certificate");
        assertOk(run(List.of("aws", "s3", "rm", "--recursive", "s3://awscli-tls/"), env));
        assertOk(run(List.of("aws", "s3", "rb", "s3://awscli-tls"), env));
    }

    @Test
    void plaintextRequestsToTheTlsPortAreNeverServed() throws Exception {
        int port = Integer.parseInt(cluster.endpoint(0).replaceFirst("^https://127.0.0.1:", ""));
        try (java.net.Socket s = new java.net.Socket("127.0.0.1", port)) {
            s.setSoTimeout(10_000);
            s.getOutputStream().write(("GET /_cairn/health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1));
            s.getOutputStream().flush();
            byte[] answer;
            try {
                answer = s.getInputStream().readAllBytes();
            } catch (java.net.SocketException reset) {
                answer = new byte[0];
            }
            assertThat(new String(answer, StandardCharsets.ISO_8859_1)).doesNotContain("HTTP/1.1 200").doesNotContain("<?xml");
        }
    }

    /** An s3cmd configuration in {@code work} for node {@code node} over HTTPS, with {@code extra} lines. */
    private static Path s3cmdConfig(Path work, int node, String... extra) throws IOException {
        String hostPort = cluster.endpoint(node).replaceFirst("^https?://", "");
        List<String> lines = new java.util.ArrayList<>(List.of(
                "[default]",
                "access_key = " + cluster.accessKey(),
                "secret_key = " + cluster.secretKey(),
                "host_base = " + hostPort,
                "host_bucket = " + hostPort,
                "use_https = True",
                "ca_certs_file = " + cluster.dev().publicCaFile(),
                "signature_v2 = False"));
        lines.addAll(List.of(extra));
        lines.add("");
        Path config = work.resolve("s3cfg");
        Files.writeString(config, String.join("\n", lines));
        return config;
    }

    /** The number of parts in a multipart ETag ("md5-N"), or 0 for an object stored in one piece. */
    private static int partCount(String bucket, String key) {
        try (S3Client s3 = cluster.s3(0)) {
            String etag = s3.headObject(b -> b.bucket(bucket).key(key)).eTag().replace("\"", "");
            int dash = etag.indexOf('-');
            return dash < 0 ? 0 : Integer.parseInt(etag.substring(dash + 1));
        }
    }

    /** A small tree with a multipart-sized file, an empty file and keys with '+', '=' and spaces. */
    private static Map<String, byte[]> sampleTree(Path root, long seed) throws IOException {
        Map<String, byte[]> files = new HashMap<>();
        files.put("a.txt", "hello cairn\n".getBytes(StandardCharsets.UTF_8));
        files.put("empty.bin", new byte[0]);
        files.put("a+b=c.txt", "plus and equals\n".getBytes(StandardCharsets.UTF_8));
        files.put("nested/with space.txt", "spaces in keys\n".getBytes(StandardCharsets.UTF_8));
        files.put("nested/deeper/\u00e9t\u00e9.bin", ObjectData.bytes(seed, 70_000));
        files.put("large.bin", ObjectData.bytes(seed + 1, LARGE_OBJECT_BYTES));
        for (Map.Entry<String, byte[]> f : files.entrySet()) {
            Path p = root.resolve(f.getKey());
            Files.createDirectories(p.getParent());
            Files.write(p, f.getValue());
        }
        return files;
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

    /** The AWS_* variables of the cluster for clients that read them, talking to node {@code node}. */
    private static Map<String, String> awsEnv(int node) {
        return Map.of("AWS_ACCESS_KEY_ID", cluster.accessKey(), "AWS_SECRET_ACCESS_KEY", cluster.secretKey(),
                "AWS_ENDPOINT_URL", cluster.endpoint(node), "AWS_REGION", "us-east-1",
                "AWS_DEFAULT_REGION", "us-east-1", "AWS_CA_BUNDLE", cluster.dev().publicCaFile().toString());
    }

    private static void requireClient(boolean present, String what) {
        if (present) {
            return;
        }
        if (System.getenv("CI") != null) {
            fail(what + " is not installed; on CI it is required (.ci/run installs it)");
        }
        assumeTrue(false, what + " is not installed; skipping its part (.ci/run installs it)");
    }

    private static List<String> cmd(List<String> base, String... args) {
        List<String> all = new ArrayList<>(base);
        all.addAll(List.of(args));
        return all;
    }

    record Result(int code, String output) {}

    private static void assertOk(Result r) {
        assertThat(r.code).as(r.output).isZero();
    }

    /**
     * Runs a client with a clean AWS environment: no profile, config or CA bundle from the machine
     * (rclone refuses a custom CA bundle on a plain-HTTP endpoint), only what {@code env} sets.
     */
    private static Result run(List<String> command, Map<String, String> env) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).directory(tmp.toFile());
        pb.environment().keySet().removeIf(k -> k.startsWith("AWS_") || k.startsWith("RCLONE_"));
        pb.environment().put("AWS_CONFIG_FILE", "/dev/null");
        pb.environment().put("AWS_SHARED_CREDENTIALS_FILE", "/dev/null");
        pb.environment().putAll(env);
        Process p = pb.start();
        p.getOutputStream().close();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(COMMAND_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("timed out after " + COMMAND_TIMEOUT_SECONDS + " s: " + command);
        }
        String text = new String(out, StandardCharsets.UTF_8);
        System.out.println("$ " + String.join(" ", command) + "\n" + text);
        return new Result(p.exitValue(), text);
    }

    private static boolean python3WithBoto3() {
        if (!onPath("python3")) {
            return false;
        }
        try {
            Process p = new ProcessBuilder("python3", "-c", "import boto3").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static boolean onPath(String tool) {
        for (String d : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (!d.isEmpty() && Files.isExecutable(Path.of(d, tool))) {
                return true;
            }
        }
        return false;
    }
}
