package io.cairn.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cairn.server.dev.DevCluster;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.BucketLifecycleConfiguration;
import software.amazon.awssdk.services.s3.model.ExpirationStatus;
import software.amazon.awssdk.services.s3.model.LifecycleRule;
import software.amazon.awssdk.services.s3.model.LifecycleRuleAndOperator;
import software.amazon.awssdk.services.s3.model.LifecycleRuleFilter;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.Tag;
import software.amazon.awssdk.services.s3.model.TransitionStorageClass;

/**
 * Lifecycle rules on 3 real nodes whose rules' day lasts 2 s ({@code lifecycle_day_seconds}): a
 * configuration set through one node is read through another; the objects a rule expires (by
 * prefix, by prefix and tag) are deleted, and their incomplete multipart uploads aborted, while
 * objects no enabled rule selects stay; an object written again is judged from its new time (and
 * its PUT says when it expires, and by which rule, in {@code x-amz-expiration}); with
 * the rules deleted nothing more goes; a transition is not implemented and a rule S3 refuses is refused.
 */
@ExtendWith(NodeLogsOnFailure.class)
class LifecycleTest {

    static final long DAY_SECONDS = 2;
    static TestCluster cluster;

    @BeforeAll
    static void start() throws Exception {
        Map<Integer, DevCluster.NodeSettings> settings = new HashMap<>();
        for (int i = 0; i < 3; i++) {
            settings.put(i, DevCluster.NodeSettings.lifecycleDay(DAY_SECONDS));
        }
        cluster = TestCluster.start(3, TestCluster.HEARTBEAT_INTERVAL_MILLIS, TestCluster.DOWN_AFTER_MILLIS, 0, settings);
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    private static boolean exists(S3Client s3, String bucket, String key) {
        try {
            s3.headObject(r -> r.bucket(bucket).key(key));
            return true;
        } catch (S3Exception e) {
            if (e.statusCode() == 404) {
                return false;
            }
            throw e;
        }
    }

    @Test
    void rulesExpireWhatTheySelectAndNothingElse() {
        S3Client s3 = cluster.s3(0);
        S3Client other = cluster.s3(2);
        String bucket = "lifecycle-rules";
        s3.createBucket(r -> r.bucket(bucket));
        for (String key : List.of("logs/a", "logs/b", "keep/c", "tagged/x", "tagged/y", "kept-logs/d")) {
            s3.putObject(r -> r.bucket(bucket).key(key).tagging(key.equals("tagged/x") ? "expire=yes" : "expire=no"),
                    RequestBody.fromString("content of " + key));
        }
        String upload = s3.createMultipartUpload(r -> r.bucket(bucket).key("uploads/m")).uploadId();
        s3.uploadPart(r -> r.bucket(bucket).key("uploads/m").uploadId(upload).partNumber(1), RequestBody.fromString("part"));

        BucketLifecycleConfiguration config = BucketLifecycleConfiguration.builder().rules(
                LifecycleRule.builder().id("logs").status(ExpirationStatus.ENABLED)
                        .filter(LifecycleRuleFilter.builder().prefix("logs/").build())
                        .expiration(e -> e.days(1)).build(),
                LifecycleRule.builder().id("tagged").status(ExpirationStatus.ENABLED)
                        .filter(LifecycleRuleFilter.builder().and(LifecycleRuleAndOperator.builder().prefix("tagged/")
                                .tags(Tag.builder().key("expire").value("yes").build()).build()).build())
                        .expiration(e -> e.days(1)).build(),
                LifecycleRule.builder().id("uploads").status(ExpirationStatus.ENABLED)
                        .filter(LifecycleRuleFilter.builder().prefix("uploads/").build())
                        .abortIncompleteMultipartUpload(a -> a.daysAfterInitiation(1)).build(),
                LifecycleRule.builder().id("off").status(ExpirationStatus.DISABLED)
                        .filter(LifecycleRuleFilter.builder().prefix("keep/").build())
                        .expiration(e -> e.days(1)).build())
                .build();
        s3.putBucketLifecycleConfiguration(r -> r.bucket(bucket).lifecycleConfiguration(config));

        Awaitility.await("the configuration reaches another node").atMost(Duration.ofSeconds(15)).ignoreExceptions()
                .untilAsserted(() -> assertThat(other.getBucketLifecycleConfiguration(r -> r.bucket(bucket)).rules())
                        .isEqualTo(config.rules()));

        long start = System.nanoTime();
        Awaitility.await("the expired objects go and the upload is aborted").atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
                    assertThat(exists(other, bucket, "logs/a")).as("logs/a").isFalse();
                    assertThat(exists(other, bucket, "logs/b")).as("logs/b").isFalse();
                    assertThat(exists(other, bucket, "tagged/x")).as("tagged/x").isFalse();
                    assertThat(other.listMultipartUploads(r -> r.bucket(bucket)).uploads()).isEmpty();
                });
        System.out.printf("lifecycle: expired objects gone %.1f s after the rules were set (a day lasts %d s)%n",
                (System.nanoTime() - start) / 1e9, DAY_SECONDS);

        // Two more days: what no enabled rule selects stays.
        sleep(2 * DAY_SECONDS * 1000 + 500);
        for (String key : List.of("keep/c", "tagged/y", "kept-logs/d")) {
            assertThat(other.getObjectAsBytes(r -> r.bucket(bucket).key(key)).asUtf8String()).as(key).isEqualTo("content of " + key);
        }

        // An object written again is judged from its new time: it stays for a day, then goes.
        long before = System.currentTimeMillis();
        String expiration = s3.putObject(r -> r.bucket(bucket).key("logs/a"), RequestBody.fromString("again")).expiration();
        long written = System.nanoTime();
        // The gateway says when, by the rules' day (2 s here, so not rounded to midnight), and by which rule.
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("expiry-date=\"([^\"]+)\", rule-id=\"logs\"").matcher(expiration);
        assertThat(m.matches()).as("x-amz-expiration %s", expiration).isTrue();
        long expiresAt = java.time.ZonedDateTime.parse(m.group(1), java.time.format.DateTimeFormatter.RFC_1123_DATE_TIME).toInstant().toEpochMilli();
        assertThat(expiresAt).as("expiry-date, to the second").isBetween(before + DAY_SECONDS * 1000 - 1000,
                System.currentTimeMillis() + DAY_SECONDS * 1000);
        Awaitility.await("the rewritten object goes a day after it was written").atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(100)).until(() -> !exists(other, bucket, "logs/a"));
        assertThat((System.nanoTime() - written) / 1e9).as("seconds before the rewritten object went")
                .isGreaterThanOrEqualTo(DAY_SECONDS - 0.5);

        s3.deleteBucketLifecycle(r -> r.bucket(bucket));
        Awaitility.await("the configuration is gone on another node").atMost(Duration.ofSeconds(15)).untilAsserted(() ->
                assertThatThrownBy(() -> other.getBucketLifecycleConfiguration(r -> r.bucket(bucket)))
                        .satisfies(e -> assertThat(((S3Exception) e).awsErrorDetails().errorCode()).isEqualTo("NoSuchLifecycleConfiguration")));
        assertThat(s3.putObject(r -> r.bucket(bucket).key("logs/late"), RequestBody.fromString("late")).expiration())
                .as("x-amz-expiration with the rules deleted").isNull();
        sleep(2 * DAY_SECONDS * 1000 + 500);
        assertThat(exists(other, bucket, "logs/late")).as("an object after the rules were deleted").isTrue();
    }

    @Test
    void transitionsAreNotImplementedAndBadRulesAreRefused() {
        S3Client s3 = cluster.s3(1);
        String bucket = "lifecycle-refused";
        s3.createBucket(r -> r.bucket(bucket));
        assertThatThrownBy(() -> s3.putBucketLifecycleConfiguration(r -> r.bucket(bucket).lifecycleConfiguration(c -> c.rules(
                LifecycleRule.builder().id("t").status(ExpirationStatus.ENABLED).filter(f -> f.prefix(""))
                        .transitions(t -> t.days(30).storageClass(TransitionStorageClass.GLACIER)).build()))))
                .satisfies(e -> assertThat(((S3Exception) e).statusCode()).isEqualTo(501));
        assertThatThrownBy(() -> s3.putBucketLifecycleConfiguration(r -> r.bucket(bucket).lifecycleConfiguration(c -> c.rules(
                LifecycleRule.builder().id("zero").status(ExpirationStatus.ENABLED).filter(f -> f.prefix(""))
                        .expiration(e -> e.days(0)).build()))))
                .satisfies(e -> assertThat(((S3Exception) e).awsErrorDetails().errorCode()).isEqualTo("InvalidArgument"));
        assertThatThrownBy(() -> s3.getBucketLifecycleConfiguration(r -> r.bucket(bucket)))
                .satisfies(e -> assertThat(((S3Exception) e).statusCode()).isEqualTo(404));
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
