package io.cairn.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.ContentStreamProvider;
import software.amazon.awssdk.http.SdkHttpMethod;
import software.amazon.awssdk.http.SdkHttpRequest;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4HttpSigner;
import software.amazon.awssdk.http.auth.spi.signer.SignedRequest;
import software.amazon.awssdk.identity.spi.AwsCredentialsIdentity;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3Configuration;
import software.amazon.awssdk.services.s3.model.NoSuchBucketException;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Exception;

/** Bad input gets a clear error and changes nothing. */
@ExtendWith(NodeLogsOnFailure.class)
class BadInputTest {

    static TestCluster cluster;
    static S3Client s3;

    @BeforeAll
    static void start() throws Exception {
        cluster = TestCluster.start(1);
        s3 = cluster.s3(0);
        s3.createBucket(b -> b.bucket("bad"));
        s3.putObject(b -> b.bucket("bad").key("keep"), RequestBody.fromString("keep me"));
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void wrongSignatureIsRefusedAndStoresNothing() {
        S3Client forger = S3Client.builder()
                .endpointOverride(URI.create(cluster.endpoint(0)))
                .region(Region.US_EAST_1)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(cluster.accessKey(), "not-the-secret-key-at-all")))
                .serviceConfiguration(S3Configuration.builder().pathStyleAccessEnabled(true).build())
                .build();
        assertThatThrownBy(() -> forger.putObject(b -> b.bucket("bad").key("forged"), RequestBody.fromString("x")))
                .isInstanceOfSatisfying(S3Exception.class, e -> {
                    assertThat(e.statusCode()).isEqualTo(403);
                    assertThat(e.awsErrorDetails().errorCode()).isEqualTo("SignatureDoesNotMatch");
                });
        assertThatThrownBy(() -> forger.deleteObject(b -> b.bucket("bad").key("keep"))).isInstanceOf(S3Exception.class);
        assertThatThrownBy(() -> s3.headObject(b -> b.bucket("bad").key("forged"))).isInstanceOf(NoSuchKeyException.class);
        assertThat(s3.getObjectAsBytes(b -> b.bucket("bad").key("keep")).asUtf8String()).isEqualTo("keep me");
    }

    @Test
    void missingBucketAndKeyAreNamed() {
        assertThatThrownBy(() -> s3.getObject(b -> b.bucket("no-such-bucket").key("k"))).isInstanceOf(NoSuchBucketException.class);
        assertThatThrownBy(() -> s3.putObject(b -> b.bucket("no-such-bucket").key("k"), RequestBody.fromString("x")))
                .isInstanceOf(NoSuchBucketException.class);
        assertThatThrownBy(() -> s3.getObject(b -> b.bucket("bad").key("no-such-key"))).isInstanceOf(NoSuchKeyException.class);
        assertThat(s3.listBuckets().buckets()).extracting(b -> b.name()).doesNotContain("no-such-bucket");
    }

    @Test
    void malformedXmlIsRejected() throws Exception {
        String body = "<Delete><Object><Key>keep</Key></Object>";  // not closed
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        SdkHttpRequest request = SdkHttpRequest.builder()
                .method(SdkHttpMethod.POST)
                .uri(URI.create(cluster.endpoint(0) + "/bad?delete"))
                .putHeader("Content-Type", "application/xml")
                .putHeader("Content-MD5", Base64.getEncoder().encodeToString(MessageDigest.getInstance("MD5").digest(bytes)))
                .build();
        SignedRequest signed = AwsV4HttpSigner.create().sign(r -> r
                .identity(AwsCredentialsIdentity.create(cluster.accessKey(), cluster.secretKey()))
                .request(request)
                .payload(ContentStreamProvider.fromByteArray(bytes))
                .putProperty(AwsV4HttpSigner.SERVICE_SIGNING_NAME, "s3")
                .putProperty(AwsV4HttpSigner.REGION_NAME, "us-east-1"));
        HttpRequest.Builder http = HttpRequest.newBuilder(signed.request().getUri())
                .POST(HttpRequest.BodyPublishers.ofByteArray(bytes));
        signed.request().forEachHeader((name, values) -> {
            if (!name.equalsIgnoreCase("Host") && !name.equalsIgnoreCase("Content-Length")) {
                values.forEach(v -> http.header(name, v));
            }
        });
        HttpResponse<String> response = HttpClient.newHttpClient().send(http.build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(response.body()).isEqualTo(400);
        assertThat(response.body()).contains("<Code>MalformedXML</Code>");
        assertThat(s3.getObjectAsBytes(b -> b.bucket("bad").key("keep")).asUtf8String()).isEqualTo("keep me");
    }

    @Test
    void keysOver1024BytesAreRefused() {
        String tooLong = "k".repeat(1025);
        assertThatThrownBy(() -> s3.putObject(b -> b.bucket("bad").key(tooLong), RequestBody.fromString("x")))
                .isInstanceOfSatisfying(S3Exception.class, e -> {
                    assertThat(e.statusCode()).isEqualTo(400);
                    assertThat(e.awsErrorDetails().errorCode()).isEqualTo("KeyTooLongError");
                });
        String longest = "é".repeat(512); // 1024 bytes of UTF-8
        s3.putObject(b -> b.bucket("bad").key(longest), RequestBody.fromString("fits"));
        assertThat(s3.getObjectAsBytes(b -> b.bucket("bad").key(longest)).asUtf8String()).isEqualTo("fits");
    }

    @Test
    void configTyposStopStartUpNamingTheField(@TempDir Path tmp) throws Exception {
        String good = "data_dir: " + tmp.resolve("data") + "\npublic_address: 127.0.0.1:1\ncluster_address: 127.0.0.1:2\nmeta_voters: [127.0.0.1:3]\n";
        Path typo = tmp.resolve("typo.yaml");
        Files.writeString(typo, good + "parttions: 64\n");
        assertThat(serverStart(typo)).contains("unknown field 'parttions'").contains("partitions");
        Path badValue = tmp.resolve("bad-value.yaml");
        Files.writeString(badValue, good + "heartbeat_interval_millis: fast\n");
        assertThat(serverStart(badValue)).contains("heartbeat_interval_millis");
        Path badAddress = tmp.resolve("bad-address.yaml");
        Files.writeString(badAddress, good.replace("127.0.0.1:2", "nowhere") );
        assertThat(serverStart(badAddress)).contains("cluster_address");
        assertThat(tmp.resolve("data")).doesNotExist();
    }

    /** Runs {@code cairn server --config FILE}, expects it to exit with an error, returns its output. */
    private static String serverStart(Path config) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add("io.cairn.server.CairnCli");
        cmd.add("server");
        cmd.add("--config");
        cmd.add(config.toString());
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isEqualTo(2);
        return out;
    }
}
