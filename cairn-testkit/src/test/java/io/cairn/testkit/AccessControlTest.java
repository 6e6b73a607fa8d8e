package io.cairn.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cairn.server.CairnCli;
import io.cairn.server.admin.AdminClient;
import io.cairn.server.admin.AdminRequestException;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import picocli.CommandLine;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.CompletedMultipartUpload;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.Delete;
import software.amazon.awssdk.services.s3.model.BucketCannedACL;
import software.amazon.awssdk.services.s3.model.ObjectCannedACL;
import software.amazon.awssdk.services.s3.model.ObjectIdentifier;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.ServerSideEncryption;

/**
 * Users, keys and bucket permissions on a real cluster: users made with {@code cairn admin user
 * create}, a second user refused (AccessDenied) on every operation on the first user's bucket and
 * changing nothing, a read-only key that cannot write, grants that open a bucket and revoke that
 * closes it, anonymous reads of a public-read bucket and of nothing else, an admin API that only
 * admin keys may use, and no secret in any node's log.
 */
@ExtendWith(NodeLogsOnFailure.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AccessControlTest {

    static final Duration MAP_SPREADS = Duration.ofSeconds(15);
    private static final ObjectMapper JSON = new ObjectMapper();

    TestCluster cluster;
    AdminClient admin;
    final List<String> secrets = new ArrayList<>();

    @BeforeAll
    void start() throws Exception {
        cluster = TestCluster.start(3);
        admin = cluster.admin();
        secrets.add(cluster.secretKey());
    }

    @AfterAll
    void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    /** {@code cairn admin ARGS --dir DIR}, in process; its standard output. */
    private String cli(String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.add("--dir");
        all.add(cluster.dir().toString());
        PrintStream before = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        int code;
        try {
            code = new CommandLine(new CairnCli()).execute(all.toArray(String[]::new));
        } finally {
            System.setOut(before);
        }
        String text = out.toString(StandardCharsets.UTF_8);
        assertThat(code).as(String.join(" ", all) + "\n" + text).isZero();
        return text;
    }

    private JsonNode createUser(String name) throws Exception {
        JsonNode u = JSON.readTree(cli("admin", "user", "create", name, "--json"));
        assertThat(u.path("user").asText()).isEqualTo(name);
        assertThat(u.path("access_key").asText()).isNotBlank();
        assertThat(u.path("secret_key").asText()).hasSizeGreaterThanOrEqualTo(32);
        secrets.add(u.path("secret_key").asText());
        return u;
    }

    private S3Client as(JsonNode key, int node) {
        return cluster.s3(node, key.path("access_key").asText(), key.path("secret_key").asText());
    }

    private static void denied(String what, Runnable call) {
        assertThatThrownBy(call::run).as(what)
                .isInstanceOf(S3Exception.class)
                .satisfies(e -> assertThat(((S3Exception) e).statusCode()).as(what).isEqualTo(403));
    }

    @Test
    void a_second_user_is_refused_everything_on_the_first_users_bucket_and_changes_nothing() throws Exception {
        JsonNode alice = createUser("alice");
        JsonNode bob = createUser("bob");
        S3Client a = as(alice, 0);
        S3Client b = as(bob, 1);
        a.createBucket(r -> r.bucket("alice-data"));
        a.putObject(r -> r.bucket("alice-data").key("k"), RequestBody.fromString("alice's"));
        String upload = a.createMultipartUpload(r -> r.bucket("alice-data").key("mp")).uploadId();
        a.uploadPart(r -> r.bucket("alice-data").key("mp").uploadId(upload).partNumber(1), RequestBody.fromString("part one"));
        b.createBucket(r -> r.bucket("bob-data"));
        b.putObject(r -> r.bucket("bob-data").key("x"), RequestBody.fromString("bob's"));

        Map<String, Runnable> ops = new LinkedHashMap<>();
        ops.put("list", () -> b.listObjectsV2(r -> r.bucket("alice-data")));
        ops.put("list v1", () -> b.listObjects(r -> r.bucket("alice-data")));
        ops.put("get", () -> b.getObjectAsBytes(r -> r.bucket("alice-data").key("k")));
        ops.put("head", () -> b.headObject(r -> r.bucket("alice-data").key("k")));
        ops.put("head bucket", () -> b.headBucket(r -> r.bucket("alice-data")));
        ops.put("put", () -> b.putObject(r -> r.bucket("alice-data").key("k"), RequestBody.fromString("bob was here")));
        ops.put("copy from", () -> b.copyObject(r -> r.sourceBucket("alice-data").sourceKey("k").destinationBucket("bob-data").destinationKey("stolen")));
        ops.put("copy into", () -> b.copyObject(r -> r.sourceBucket("bob-data").sourceKey("x").destinationBucket("alice-data").destinationKey("k")));
        ops.put("delete", () -> b.deleteObject(r -> r.bucket("alice-data").key("k")));
        ops.put("delete many", () -> b.deleteObjects(r -> r.bucket("alice-data")
                .delete(Delete.builder().objects(ObjectIdentifier.builder().key("k").build()).build())));
        ops.put("create upload", () -> b.createMultipartUpload(r -> r.bucket("alice-data").key("bobs")));
        ops.put("upload part", () -> b.uploadPart(r -> r.bucket("alice-data").key("mp").uploadId(upload).partNumber(2),
                RequestBody.fromString("bob's part")));
        ops.put("upload part copy", () -> b.uploadPartCopy(r -> r.sourceBucket("alice-data").sourceKey("k")
                .destinationBucket("alice-data").destinationKey("mp").uploadId(upload).partNumber(3)));
        ops.put("list parts", () -> b.listParts(r -> r.bucket("alice-data").key("mp").uploadId(upload)));
        ops.put("list uploads", () -> b.listMultipartUploads(r -> r.bucket("alice-data")));
        ops.put("complete upload", () -> b.completeMultipartUpload(r -> r.bucket("alice-data").key("mp").uploadId(upload)
                .multipartUpload(CompletedMultipartUpload.builder().parts(CompletedPart.builder().partNumber(1).eTag("x").build()).build())));
        ops.put("abort upload", () -> b.abortMultipartUpload(r -> r.bucket("alice-data").key("mp").uploadId(upload)));
        ops.put("get acl", () -> b.getBucketAcl(r -> r.bucket("alice-data")));
        ops.put("put acl", () -> b.putBucketAcl(r -> r.bucket("alice-data").acl(BucketCannedACL.PUBLIC_READ)));
        ops.put("object acl", () -> b.getObjectAcl(r -> r.bucket("alice-data").key("k")));
        ops.put("delete bucket", () -> b.deleteBucket(r -> r.bucket("alice-data")));
        ops.forEach(AccessControlTest::denied);

        assertThat(a.getObjectAsBytes(r -> r.bucket("alice-data").key("k")).asUtf8String()).isEqualTo("alice's");
        assertThat(a.listObjectsV2(r -> r.bucket("alice-data")).contents()).extracting(o -> o.key()).containsExactly("k");
        assertThat(a.listParts(r -> r.bucket("alice-data").key("mp").uploadId(upload)).parts()).extracting(p -> p.partNumber())
                .containsExactly(1);
        assertThat(b.listObjectsV2(r -> r.bucket("bob-data")).contents()).extracting(o -> o.key()).containsExactly("x");
        assertThat(b.listBuckets().buckets()).extracting(x -> x.name()).containsExactly("bob-data");
        assertThat(a.listBuckets().buckets()).extracting(x -> x.name()).containsExactly("alice-data");
        assertThat(a.getBucketAcl(r -> r.bucket("alice-data")).owner().displayName()).isEqualTo("alice");

        // A grant opens the bucket to bob (read only), a revoke closes it again; the map spreads to every node.
        cli("admin", "bucket", "grant", "alice-data", "--user", "bob", "--permission", "read");
        Awaitility.await("bob reads after the grant").atMost(MAP_SPREADS).ignoreExceptions()
                .until(() -> b.getObjectAsBytes(r -> r.bucket("alice-data").key("k")).asUtf8String().equals("alice's"));
        denied("put with a read grant", () -> b.putObject(r -> r.bucket("alice-data").key("k"), RequestBody.fromString("no")));
        cli("admin", "bucket", "revoke", "alice-data", "--user", "bob");
        Awaitility.await("bob refused after the revoke").atMost(MAP_SPREADS).until(() -> {
            try {
                b.getObjectAsBytes(r -> r.bucket("alice-data").key("k"));
                return false;
            } catch (S3Exception e) {
                return e.statusCode() == 403;
            }
        });
        a.abortMultipartUpload(r -> r.bucket("alice-data").key("mp").uploadId(upload));
    }

    @Test
    void a_read_only_key_reads_and_never_writes() throws Exception {
        JsonNode carol = createUser("carol");
        S3Client c = as(carol, 0);
        c.createBucket(r -> r.bucket("carol-data"));
        c.putObject(r -> r.bucket("carol-data").key("k"), RequestBody.fromString("carol's"));
        JsonNode ro = JSON.readTree(cli("admin", "key", "create", "--user", "carol", "--read-only", "--json"));
        assertThat(ro.path("read_only").asBoolean()).isTrue();
        secrets.add(ro.path("secret_key").asText());
        S3Client r0 = as(ro, 2);
        Awaitility.await("the new key is known on every node").atMost(MAP_SPREADS).ignoreExceptions()
                .until(() -> r0.getObjectAsBytes(r -> r.bucket("carol-data").key("k")).asUtf8String().equals("carol's"));
        assertThat(r0.listObjectsV2(r -> r.bucket("carol-data")).contents()).hasSize(1);
        denied("put", () -> r0.putObject(r -> r.bucket("carol-data").key("k"), RequestBody.fromString("overwritten")));
        denied("delete", () -> r0.deleteObject(r -> r.bucket("carol-data").key("k")));
        denied("create bucket", () -> r0.createBucket(r -> r.bucket("carol-more")));
        denied("create upload", () -> r0.createMultipartUpload(r -> r.bucket("carol-data").key("m")));
        denied("acl", () -> r0.putBucketAcl(r -> r.bucket("carol-data").acl(BucketCannedACL.PUBLIC_READ)));
        // A browser upload form whose policy the read-only key signed is refused like its PUT.
        HttpResponse<String> form = postForm(cluster.endpoint(1), "carol-data", "k", ro, "overwritten by a form");
        assertThat(form.statusCode()).as(form.body()).isEqualTo(403);
        assertThat(form.body()).contains("<Code>AccessDenied</Code>");
        // The same form signed by the owner's key stores the file, so the refusal was the key's.
        HttpResponse<String> owners = postForm(cluster.endpoint(1), "carol-data", "by-form", carol, "carol's form");
        assertThat(owners.statusCode()).as(owners.body()).isEqualTo(204);
        assertThat(c.getObjectAsBytes(r -> r.bucket("carol-data").key("by-form")).asUtf8String()).isEqualTo("carol's form");
        c.deleteObject(r -> r.bucket("carol-data").key("by-form"));
        assertThat(c.getObjectAsBytes(r -> r.bucket("carol-data").key("k")).asUtf8String()).isEqualTo("carol's");
        JsonNode keys = JSON.readTree(cli("admin", "key", "list", "--user", "carol", "--json"));
        assertThat(keys.path("keys")).hasSize(2);
        assertThat(keys.toString()).doesNotContain(ro.path("secret_key").asText()).doesNotContain(carol.path("secret_key").asText());

        // The user owns a bucket: it cannot be deleted until the bucket is gone.
        assertThatThrownBy(() -> admin.deleteUser("carol")).isInstanceOf(AdminRequestException.class).hasMessageContaining("owns buckets");
        c.deleteObject(r -> r.bucket("carol-data").key("k"));
        c.deleteBucket(r -> r.bucket("carol-data"));
        cli("admin", "user", "delete", "carol");
        Awaitility.await("carol's keys are refused").atMost(MAP_SPREADS).until(() -> {
            try {
                c.listBuckets();
                return false;
            } catch (S3Exception e) {
                return e.statusCode() == 403;
            }
        });
    }

    @Test
    void anonymous_requests_read_a_public_read_bucket_and_nothing_else() throws Exception {
        JsonNode dave = createUser("dave");
        S3Client d = as(dave, 1);
        d.createBucket(r -> r.bucket("dave-public"));
        d.createBucket(r -> r.bucket("dave-private"));
        d.putObject(r -> r.bucket("dave-public").key("page.html"), RequestBody.fromString("<p>hello</p>"));
        d.putObject(r -> r.bucket("dave-private").key("diary"), RequestBody.fromString("secret"));
        HttpClient http = HttpClient.newHttpClient();
        String e0 = cluster.endpoint(0);
        assertThat(get(http, e0 + "/dave-public/page.html").statusCode()).isEqualTo(403);

        d.putBucketAcl(r -> r.bucket("dave-public").acl(BucketCannedACL.PUBLIC_READ));
        Awaitility.await("the public bucket reads unsigned").atMost(MAP_SPREADS)
                .until(() -> get(http, e0 + "/dave-public/page.html").statusCode() == 200);
        assertThat(get(http, e0 + "/dave-public/page.html").body()).isEqualTo("<p>hello</p>");
        assertThat(get(http, e0 + "/dave-public?list-type=2").body()).contains("<Key>page.html</Key>");
        assertThat(get(http, e0 + "/dave-private/diary").statusCode()).isEqualTo(403);
        assertThat(get(http, e0 + "/").statusCode()).as("listing buckets").isEqualTo(403);
        HttpResponse<String> put = http.send(HttpRequest.newBuilder(URI.create(e0 + "/dave-public/page.html"))
                .PUT(HttpRequest.BodyPublishers.ofString("defaced")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(put.statusCode()).isEqualTo(403);
        HttpResponse<String> delete = http.send(HttpRequest.newBuilder(URI.create(e0 + "/dave-public/page.html"))
                .DELETE().build(), HttpResponse.BodyHandlers.ofString());
        assertThat(delete.statusCode()).isEqualTo(403);
        assertThat(d.getObjectAsBytes(r -> r.bucket("dave-public").key("page.html")).asUtf8String()).isEqualTo("<p>hello</p>");
        assertThat(d.getBucketAcl(r -> r.bucket("dave-public")).grants()).anyMatch(g -> g.grantee().uri() != null
                && g.grantee().uri().endsWith("AllUsers"));

        d.putBucketAcl(r -> r.bucket("dave-public").acl(BucketCannedACL.PRIVATE));
        Awaitility.await("private again").atMost(MAP_SPREADS)
                .until(() -> get(http, e0 + "/dave-public/page.html").statusCode() == 403);
    }

    @Test
    void a_public_read_object_is_read_by_every_signed_user_too_unless_the_policy_denies_them() throws Exception {
        JsonNode kate = createUser("kate");
        JsonNode leo = createUser("leo");
        JsonNode mia = createUser("mia");
        S3Client k = as(kate, 0);
        S3Client l = as(leo, 1);
        S3Client m = as(mia, 2);
        k.createBucket(r -> r.bucket("kate-private"));
        k.putObject(r -> r.bucket("kate-private").key("flyer.txt").acl(ObjectCannedACL.PUBLIC_READ), RequestBody.fromString("come along"));
        k.putObject(r -> r.bucket("kate-private").key("notes.txt"), RequestBody.fromString("mine"));

        // S3's public-read grants READ to AllUsers: signed requests of other users as well as anonymous ones.
        Awaitility.await("leo's key reaches every gateway").atMost(MAP_SPREADS).ignoreExceptions()
                .until(() -> l.getObjectAsBytes(r -> r.bucket("kate-private").key("flyer.txt")).asUtf8String().equals("come along"));
        assertThat(l.headObject(r -> r.bucket("kate-private").key("flyer.txt")).contentLength()).isEqualTo(10);
        denied("leo reads a private object", () -> l.getObjectAsBytes(r -> r.bucket("kate-private").key("notes.txt")));
        denied("leo lists the private bucket", () -> l.listObjectsV2(r -> r.bucket("kate-private")));
        denied("leo reads the public object's ACL", () -> l.getObjectAcl(r -> r.bucket("kate-private").key("flyer.txt")));
        denied("leo overwrites the public object", () -> l.putObject(r -> r.bucket("kate-private").key("flyer.txt"),
                RequestBody.fromString("defaced")));
        denied("leo reads a missing key, as if it were private", () -> l.getObjectAsBytes(r -> r.bucket("kate-private").key("missing.txt")));

        // A deny in the bucket's policy that names leo binds him; mia and anonymous requests still read.
        k.putBucketPolicy(r -> r.bucket("kate-private").policy("""
                {"Version": "2012-10-17", "Statement": [
                  {"Effect": "Deny", "Principal": {"AWS": "arn:aws:iam:::user/leo"}, "Action": "s3:GetObject",
                   "Resource": "arn:aws:s3:::kate-private/*"}]}"""));
        Awaitility.await("the deny reaches leo's gateway").atMost(MAP_SPREADS).ignoreExceptions()
                .untilAsserted(() -> denied("leo, denied by the policy", () -> l.getObjectAsBytes(r -> r.bucket("kate-private").key("flyer.txt"))));
        assertThat(m.getObjectAsBytes(r -> r.bucket("kate-private").key("flyer.txt")).asUtf8String()).isEqualTo("come along");
        HttpClient http = HttpClient.newHttpClient();
        assertThat(get(http, cluster.endpoint(1) + "/kate-private/flyer.txt").body()).isEqualTo("come along");
        assertThat(k.getObjectAsBytes(r -> r.bucket("kate-private").key("flyer.txt")).asUtf8String()).isEqualTo("come along");

        // A deleted key reads nothing, public or not.
        cli("admin", "user", "delete", "mia");
        Awaitility.await("mia's deletion reaches every gateway").atMost(MAP_SPREADS).ignoreExceptions()
                .untilAsserted(() -> denied("mia's deleted key", () -> m.getObjectAsBytes(r -> r.bucket("kate-private").key("flyer.txt"))));
    }

    @Test
    void a_bucket_policy_opens_what_it_names_to_whom_it_names_and_its_deny_binds_everyone() throws Exception {
        JsonNode grace = createUser("grace");
        JsonNode henry = createUser("henry");
        S3Client e = as(grace, 0);
        S3Client f = as(henry, 2);
        e.createBucket(r -> r.bucket("grace-site"));
        e.putObject(r -> r.bucket("grace-site").key("public/index.html"), RequestBody.fromString("<p>welcome</p>"));
        e.putObject(r -> r.bucket("grace-site").key("drafts/next.html"), RequestBody.fromString("not yet"));
        e.putObject(r -> r.bucket("grace-site").key("keep/log"), RequestBody.fromString("keep me"));
        HttpClient http = HttpClient.newHttpClient();
        String e1 = cluster.endpoint(1);
        assertThatThrownBy(() -> e.getBucketPolicy(r -> r.bucket("grace-site"))).isInstanceOf(S3Exception.class)
                .satisfies(x -> assertThat(((S3Exception) x).awsErrorDetails().errorCode()).isEqualTo("NoSuchBucketPolicy"));

        String policy = """
                {"Version": "2012-10-17", "Statement": [
                  {"Sid": "site", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::grace-site/public/*"},
                  {"Sid": "editor", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam:::user/henry"},
                   "Action": ["s3:PutObject", "s3:GetObject", "s3:ListBucket", "s3:DeleteObject"],
                   "Resource": ["arn:aws:s3:::grace-site", "arn:aws:s3:::grace-site/*"]},
                  {"Sid": "keep", "Effect": "Deny", "Principal": "*", "Action": "s3:DeleteObject", "Resource": "arn:aws:s3:::grace-site/keep/*"}]}""";
        denied("henry sets a policy on grace's bucket", () -> f.putBucketPolicy(r -> r.bucket("grace-site").policy(policy)));
        e.putBucketPolicy(r -> r.bucket("grace-site").policy(policy));
        assertThat(e.getBucketPolicy(r -> r.bucket("grace-site")).policy()).isEqualTo(policy);

        Awaitility.await("the policy reaches every gateway").atMost(MAP_SPREADS)
                .until(() -> get(http, e1 + "/grace-site/public/index.html").statusCode() == 200);
        assertThat(get(http, e1 + "/grace-site/public/index.html").body()).isEqualTo("<p>welcome</p>");
        assertThat(get(http, e1 + "/grace-site/drafts/next.html").statusCode()).as("outside the public prefix").isEqualTo(403);
        assertThat(get(http, e1 + "/grace-site?list-type=2").statusCode()).as("anonymous listing").isEqualTo(403);
        HttpResponse<String> anonymousPut = http.send(HttpRequest.newBuilder(URI.create(e1 + "/grace-site/public/index.html"))
                .PUT(HttpRequest.BodyPublishers.ofString("defaced")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(anonymousPut.statusCode()).isEqualTo(403);

        // Henry, named by the policy, edits; the deny keeps keep/ from everyone, grace included.
        Awaitility.await("henry edits").atMost(MAP_SPREADS).ignoreExceptions()
                .until(() -> f.listObjectsV2(r -> r.bucket("grace-site")).contents().size() == 3);
        f.putObject(r -> r.bucket("grace-site").key("drafts/next.html"), RequestBody.fromString("ready"));
        assertThat(e.getObjectAsBytes(r -> r.bucket("grace-site").key("drafts/next.html")).asUtf8String()).isEqualTo("ready");
        f.deleteObject(r -> r.bucket("grace-site").key("drafts/next.html"));
        denied("henry deletes under keep/", () -> f.deleteObject(r -> r.bucket("grace-site").key("keep/log")));
        denied("grace deletes under keep/", () -> e.deleteObject(r -> r.bucket("grace-site").key("keep/log")));
        var many = f.deleteObjects(r -> r.bucket("grace-site").delete(Delete.builder().objects(
                ObjectIdentifier.builder().key("keep/log").build(), ObjectIdentifier.builder().key("public/index.html").build()).build()));
        assertThat(many.errors()).extracting(x -> x.key() + " " + x.code()).containsExactly("keep/log AccessDenied");
        assertThat(many.deleted()).extracting(x -> x.key()).containsExactly("public/index.html");
        assertThat(e.getObjectAsBytes(r -> r.bucket("grace-site").key("keep/log")).asUtf8String()).isEqualTo("keep me");
        denied("a policy never makes henry an owner", () -> f.deleteBucketPolicy(r -> r.bucket("grace-site")));
        denied("nor lets him delete the bucket", () -> f.deleteBucket(r -> r.bucket("grace-site")));

        // Refused policies change nothing: malformed, and valid but not implemented.
        assertThatThrownBy(() -> e.putBucketPolicy(r -> r.bucket("grace-site").policy("{\"Statement\": \"everything\"}")))
                .isInstanceOf(S3Exception.class)
                .satisfies(x -> assertThat(((S3Exception) x).awsErrorDetails().errorCode()).isEqualTo("MalformedPolicy"));
        assertThatThrownBy(() -> e.putBucketPolicy(r -> r.bucket("grace-site").policy(policy.replace("\"Sid\": \"site\", ",
                "\"Sid\": \"site\", \"Condition\": {\"StringEquals\": {\"aws:PrincipalOrgID\": \"o-1\"}}, "))))
                .isInstanceOf(S3Exception.class)
                .satisfies(x -> assertThat(((S3Exception) x).statusCode()).isEqualTo(501));
        assertThat(e.getBucketPolicy(r -> r.bucket("grace-site")).policy()).isEqualTo(policy);

        e.deleteBucketPolicy(r -> r.bucket("grace-site"));
        e.putObject(r -> r.bucket("grace-site").key("public/index.html"), RequestBody.fromString("<p>welcome</p>"));
        Awaitility.await("closed again").atMost(MAP_SPREADS)
                .until(() -> get(http, e1 + "/grace-site/public/index.html").statusCode() == 403);
        e.deleteObject(r -> r.bucket("grace-site").key("keep/log"));
    }

    @Test
    void a_policy_condition_judges_each_request_by_how_it_came() throws Exception {
        JsonNode ivy = createUser("ivy");
        S3Client s3 = as(ivy, 1);
        s3.createBucket(r -> r.bucket("ivy-data"));
        s3.putObject(r -> r.bucket("ivy-data").key("public/a"), RequestBody.fromString("a"));
        s3.putObject(r -> r.bucket("ivy-data").key("private/b"), RequestBody.fromString("b"));
        String policy = """
                {"Version": "2012-10-17", "Statement": [
                  {"Sid": "local", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::ivy-data/public/*",
                   "Condition": {"IpAddress": {"aws:SourceIp": ["127.0.0.0/8", "::1"]}}},
                  {"Sid": "browse", "Effect": "Allow", "Principal": "*", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::ivy-data",
                   "Condition": {"StringLike": {"s3:prefix": "public/*"}}},
                  {"Sid": "sealed", "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::ivy-data/*",
                   "Condition": {"Null": {"s3:x-amz-server-side-encryption": "true"}}},
                  {"Sid": "tls", "Effect": "Deny", "Principal": "*", "Action": "s3:DeleteObject", "Resource": "arn:aws:s3:::ivy-data/*",
                   "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}""";
        s3.putBucketPolicy(r -> r.bucket("ivy-data").policy(policy));
        HttpClient http = HttpClient.newHttpClient();
        String e2 = cluster.endpoint(2);
        Awaitility.await("the policy reaches every gateway").atMost(MAP_SPREADS)
                .until(() -> get(http, e2 + "/ivy-data/public/a").statusCode() == 200);
        assertThat(get(http, e2 + "/ivy-data/private/b").statusCode()).as("outside the resource").isEqualTo(403);
        assertThat(get(http, e2 + "/ivy-data?list-type=2&prefix=public/").statusCode()).as("a listing of public/").isEqualTo(200);
        assertThat(get(http, e2 + "/ivy-data?list-type=2&prefix=private/").statusCode()).as("a listing of private/").isEqualTo(403);
        assertThat(get(http, e2 + "/ivy-data?list-type=2").statusCode()).as("a listing without a prefix").isEqualTo(403);
        // A missing key: one who may list its name learns it is not there (404), others only that they may not read it.
        assertThat(get(http, e2 + "/ivy-data/public/missing").statusCode()).as("a missing key that may be listed").isEqualTo(404);
        assertThat(get(http, e2 + "/ivy-data/private/missing").statusCode()).as("a missing key that may not be listed").isEqualTo(403);
        assertThat(get(http, e2 + "/ivy-data/private/b").statusCode()).as("a key there, that may not be read").isEqualTo(403);

        // The owner too: a PUT without encryption and any DELETE over plain HTTP are refused.
        S3Client ivy2 = as(ivy, 2);
        denied("an unencrypted PUT", () -> ivy2.putObject(r -> r.bucket("ivy-data").key("public/c"), RequestBody.fromString("c")));
        ivy2.putObject(r -> r.bucket("ivy-data").key("public/c").serverSideEncryption(ServerSideEncryption.AES256),
                RequestBody.fromString("c"));
        assertThat(get(http, e2 + "/ivy-data/public/c").body()).isEqualTo("c");
        denied("a DELETE over plain HTTP", () -> ivy2.deleteObject(r -> r.bucket("ivy-data").key("public/a")));
        assertThat(ivy2.getObjectAsBytes(r -> r.bucket("ivy-data").key("public/a")).asUtf8String()).isEqualTo("a");

        // What Cairn cannot judge is refused, and the policy in force stays.
        for (String unjudged : List.of("{\"StringEquals\": {\"aws:PrincipalOrgID\": \"o-1\"}}",
                "{\"ArnLike\": {\"aws:SourceArn\": \"arn:aws:s3:::x\"}}")) {
            assertThatThrownBy(() -> s3.putBucketPolicy(r -> r.bucket("ivy-data").policy(policy.replace(
                    "{\"Bool\": {\"aws:SecureTransport\": \"false\"}}", unjudged)))).as(unjudged)
                    .isInstanceOf(S3Exception.class)
                    .satisfies(x -> assertThat(((S3Exception) x).awsErrorDetails().errorCode()).isEqualTo("NotImplemented"));
        }
        assertThatThrownBy(() -> s3.putBucketPolicy(r -> r.bucket("ivy-data").policy(policy.replace("\"Null\"", "\"Nul\""))))
                .isInstanceOf(S3Exception.class)
                .satisfies(x -> assertThat(((S3Exception) x).awsErrorDetails().errorCode()).isEqualTo("MalformedPolicy"));
        assertThat(s3.getBucketPolicy(r -> r.bucket("ivy-data")).policy()).isEqualTo(policy);
        s3.deleteBucketPolicy(r -> r.bucket("ivy-data"));
    }

    @Test
    void only_admin_keys_use_the_admin_api_and_no_secret_is_logged() throws Exception {
        JsonNode erin = createUser("erin");
        AdminClient asErin = new AdminClient(List.of(cluster.endpoint(0)),
                erin.path("access_key").asText() + ":" + erin.path("secret_key").asText());
        Awaitility.await("erin's key is known").atMost(MAP_SPREADS).ignoreExceptions().until(() -> {
            as(erin, 0).listBuckets();
            return true;
        });
        assertThatThrownBy(asErin::status).hasMessageContaining("403");
        assertThatThrownBy(() -> asErin.createUser("mallory", true)).isInstanceOf(AdminRequestException.class);
        AdminClient forged = new AdminClient(List.of(cluster.endpoint(0)), cluster.accessKey() + ":not-the-secret");
        assertThatThrownBy(forged::status).hasMessageContaining("403");
        assertThat(admin.users().toString()).contains("\"erin\"").doesNotContain("mallory")
                .doesNotContain(erin.path("secret_key").asText());

        for (int i = 0; i < cluster.nodes(); i++) {
            String log = Files.readString(cluster.dev().nodeDir(i).resolve("log"), StandardCharsets.UTF_8);
            for (String s : secrets) {
                assertThat(log).as("node %d's log", i).doesNotContain(s);
            }
        }
        // Nor on any node's disk: the map, its Raft log and snapshots keep secret keys sealed under the master key.
        List<String> keys = new ArrayList<>(secrets);
        keys.add(cluster.secretKey());
        int files = 0;
        for (int i = 0; i < cluster.nodes(); i++) {
            try (var walk = Files.walk(cluster.dev().nodeDir(i).resolve("data"))) {
                for (var f : walk.filter(Files::isRegularFile).toList()) {
                    String content = new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1);
                    files++;
                    for (String s : keys) {
                        assertThat(content).as("%s holds a secret key", f).doesNotContain(s);
                    }
                }
            }
        }
        assertThat(files).isPositive();
    }

    @Test
    void an_sse_c_object_is_read_only_with_its_key_and_is_not_on_disk_in_clear() throws Exception {
        S3Client s3 = cluster.s3(0);
        s3.createBucket(r -> r.bucket("sealed"));
        byte[] key = new byte[32];
        new java.util.Random(11).nextBytes(key);
        String k64 = java.util.Base64.getEncoder().encodeToString(key);
        String md5 = java.util.Base64.getEncoder().encodeToString(java.security.MessageDigest.getInstance("MD5").digest(key));
        secrets.add(k64);
        byte[] big = "CAIRN-SSE-C-SEALED-CHUNK-".repeat(10_000).getBytes(StandardCharsets.US_ASCII); // chunks on the data partitions
        byte[] small = "CAIRN-SSE-C-SEALED-INLINE-".repeat(40).getBytes(StandardCharsets.US_ASCII); // inline in its index record
        byte[] control = "CAIRN-PLAINTEXT-CONTROL-".repeat(10_000).getBytes(StandardCharsets.US_ASCII);
        s3.putObject(r -> r.bucket("sealed").key("big").sseCustomerAlgorithm("AES256").sseCustomerKey(k64).sseCustomerKeyMD5(md5),
                RequestBody.fromBytes(big));
        s3.putObject(r -> r.bucket("sealed").key("small").sseCustomerAlgorithm("AES256").sseCustomerKey(k64).sseCustomerKeyMD5(md5),
                RequestBody.fromBytes(small));
        s3.putObject(r -> r.bucket("sealed").key("control"), RequestBody.fromBytes(control));
        for (int node = 0; node < cluster.nodes(); node++) {
            S3Client c = cluster.s3(node);
            assertThat(c.getObjectAsBytes(r -> r.bucket("sealed").key("big").sseCustomerAlgorithm("AES256").sseCustomerKey(k64)
                    .sseCustomerKeyMD5(md5)).asByteArray()).isEqualTo(big);
            assertThat(c.getObjectAsBytes(r -> r.bucket("sealed").key("small").sseCustomerAlgorithm("AES256").sseCustomerKey(k64)
                    .sseCustomerKeyMD5(md5)).asByteArray()).isEqualTo(small);
            assertThatThrownBy(() -> c.getObjectAsBytes(r -> r.bucket("sealed").key("big")))
                    .isInstanceOf(S3Exception.class).satisfies(e -> assertThat(((S3Exception) e).statusCode()).isEqualTo(400));
        }
        // What the nodes keep on disk: the control object in clear (the search works), the sealed ones nowhere.
        int controlHits = 0;
        for (int i = 0; i < cluster.nodes(); i++) {
            try (var files = Files.walk(cluster.dev().nodeDir(i).resolve("data"))) {
                for (var f : files.filter(Files::isRegularFile).toList()) {
                    String content = new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1);
                    assertThat(content).as(f.toString()).doesNotContain("CAIRN-SSE-C-SEALED-CHUNK-CAIRN-SSE-C-SEALED")
                            .doesNotContain("CAIRN-SSE-C-SEALED-INLINE-CAIRN-SSE-C-SEALED").doesNotContain(k64);
                    if (content.contains("CAIRN-PLAINTEXT-CONTROL-CAIRN-PLAINTEXT-CONTROL")) {
                        controlHits++;
                    }
                }
            }
        }
        assertThat(controlHits).as("files holding the plaintext control object").isPositive();
    }

    @Test
    void sse_s3_objects_are_stored_encrypted_by_request_or_bucket_default_and_read_in_clear() throws Exception {
        S3Client s3 = cluster.s3(0);
        s3.createBucket(r -> r.bucket("vault"));
        s3.createBucket(r -> r.bucket("vault-default"));
        s3.createBucket(r -> r.bucket("plain"));
        byte[] big = "CAIRN-SSE-S3-REQUESTED-CHUNK-".repeat(20_000).getBytes(StandardCharsets.US_ASCII);
        byte[] small = "CAIRN-SSE-S3-REQUESTED-INLINE-".repeat(40).getBytes(StandardCharsets.US_ASCII);
        var put = s3.putObject(r -> r.bucket("vault").key("big").serverSideEncryption(ServerSideEncryption.AES256),
                RequestBody.fromBytes(big));
        assertThat(put.serverSideEncryption()).isEqualTo(ServerSideEncryption.AES256);
        s3.putObject(r -> r.bucket("vault").key("small").serverSideEncryption(ServerSideEncryption.AES256), RequestBody.fromBytes(small));
        assertThatThrownBy(() -> s3.putObject(r -> r.bucket("vault").key("kms").serverSideEncryption(ServerSideEncryption.AWS_KMS),
                RequestBody.fromString("x"))).isInstanceOf(S3Exception.class)
                .satisfies(e -> assertThat(((S3Exception) e).statusCode()).isEqualTo(501));

        // A bucket default: plain PUTs and a multipart upload are encrypted without asking.
        assertThatThrownBy(() -> s3.getBucketEncryption(r -> r.bucket("vault-default"))).isInstanceOf(S3Exception.class)
                .satisfies(e -> assertThat(((S3Exception) e).awsErrorDetails().errorCode())
                        .isEqualTo("ServerSideEncryptionConfigurationNotFoundError"));
        s3.putBucketEncryption(r -> r.bucket("vault-default").serverSideEncryptionConfiguration(c -> c.rules(rule -> rule
                .applyServerSideEncryptionByDefault(d -> d.sseAlgorithm(ServerSideEncryption.AES256)))));
        assertThat(s3.getBucketEncryption(r -> r.bucket("vault-default")).serverSideEncryptionConfiguration().rules().getFirst()
                .applyServerSideEncryptionByDefault().sseAlgorithm()).isEqualTo(ServerSideEncryption.AES256);
        byte[] defaulted = "CAIRN-SSE-S3-DEFAULT-OBJECT-".repeat(20_000).getBytes(StandardCharsets.US_ASCII);
        var putDefault = s3.putObject(r -> r.bucket("vault-default").key("d"), RequestBody.fromBytes(defaulted));
        assertThat(putDefault.serverSideEncryption()).isEqualTo(ServerSideEncryption.AES256);
        byte[] part1 = "CAIRN-SSE-S3-MULTIPART-ONE-".repeat(200_000).getBytes(StandardCharsets.US_ASCII); // 5.4 MB
        byte[] part2 = "CAIRN-SSE-S3-MULTIPART-TWO-".repeat(50_000).getBytes(StandardCharsets.US_ASCII);
        var created = s3.createMultipartUpload(r -> r.bucket("vault-default").key("mp"));
        assertThat(created.serverSideEncryption()).as("the upload is encrypted by the bucket's default").isEqualTo(ServerSideEncryption.AES256);
        String uploadId = created.uploadId();
        String e1 = s3.uploadPart(r -> r.bucket("vault-default").key("mp").uploadId(uploadId).partNumber(1), RequestBody.fromBytes(part1)).eTag();
        String e2 = s3.uploadPart(r -> r.bucket("vault-default").key("mp").uploadId(uploadId).partNumber(2), RequestBody.fromBytes(part2)).eTag();
        var done = s3.completeMultipartUpload(r -> r.bucket("vault-default").key("mp").uploadId(uploadId).multipartUpload(m -> m.parts(
                p -> p.partNumber(1).eTag(e1), p -> p.partNumber(2).eTag(e2))));
        assertThat(done.serverSideEncryption()).isEqualTo(ServerSideEncryption.AES256);
        byte[] whole = new byte[part1.length + part2.length];
        System.arraycopy(part1, 0, whole, 0, part1.length);
        System.arraycopy(part2, 0, whole, part1.length, part2.length);

        // Every node reads them in clear, whole and in ranges that cross chunks and parts.
        for (int node = 0; node < cluster.nodes(); node++) {
            S3Client c = cluster.s3(node);
            var got = c.getObjectAsBytes(r -> r.bucket("vault").key("big"));
            assertThat(got.asByteArray()).isEqualTo(big);
            assertThat(got.response().serverSideEncryption()).isEqualTo(ServerSideEncryption.AES256);
            assertThat(c.getObjectAsBytes(r -> r.bucket("vault").key("small")).asByteArray()).isEqualTo(small);
            assertThat(c.headObject(r -> r.bucket("vault-default").key("d")).serverSideEncryption()).isEqualTo(ServerSideEncryption.AES256);
            assertThat(c.getObjectAsBytes(r -> r.bucket("vault-default").key("d")).asByteArray()).isEqualTo(defaulted);
            assertThat(c.getObjectAsBytes(r -> r.bucket("vault-default").key("mp")).asByteArray()).isEqualTo(whole);
            long from = part1.length - 1000;
            assertThat(c.getObjectAsBytes(r -> r.bucket("vault-default").key("mp").range("bytes=" + from + "-" + (from + 4999)))
                    .asByteArray()).isEqualTo(java.util.Arrays.copyOfRange(whole, (int) from, (int) from + 5000));
            assertThat(c.getObjectAsBytes(r -> r.bucket("vault").key("small").range("bytes=10-19")).asByteArray())
                    .isEqualTo(java.util.Arrays.copyOfRange(small, 10, 20));
        }
        assertThat(s3.listObjectsV2(r -> r.bucket("vault-default")).contents()).extracting(o -> o.size())
                .containsExactly((long) defaulted.length, (long) whole.length);

        // An erasure-coded bucket: each sealed chunk is what is cut into blocks.
        s3.createBucket(r -> r.bucket("vault-ec").overrideConfiguration(o -> o.putHeader("x-cairn-policy", "ec2+1")));
        s3.putObject(r -> r.bucket("vault-ec").key("ec").serverSideEncryption(ServerSideEncryption.AES256), RequestBody.fromBytes(whole));
        for (int node = 0; node < cluster.nodes(); node++) {
            S3Client c = cluster.s3(node);
            assertThat(c.getObjectAsBytes(r -> r.bucket("vault-ec").key("ec")).asByteArray()).isEqualTo(whole);
            assertThat(c.getObjectAsBytes(r -> r.bucket("vault-ec").key("ec").range("bytes=4194000-4195000")).asByteArray())
                    .isEqualTo(java.util.Arrays.copyOfRange(whole, 4_194_000, 4_195_001));
        }

        // A copy takes its own encryption, not its source's.
        s3.copyObject(r -> r.sourceBucket("vault").sourceKey("big").destinationBucket("plain").destinationKey("clear-copy"));
        assertThat(s3.headObject(r -> r.bucket("plain").key("clear-copy")).serverSideEncryption()).isNull();
        assertThat(s3.getObjectAsBytes(r -> r.bucket("plain").key("clear-copy")).asByteArray()).isEqualTo(big);
        var sealedCopy = s3.copyObject(r -> r.sourceBucket("plain").sourceKey("clear-copy").destinationBucket("plain")
                .destinationKey("sealed-copy").serverSideEncryption(ServerSideEncryption.AES256));
        assertThat(sealedCopy.serverSideEncryption()).isEqualTo(ServerSideEncryption.AES256);
        assertThat(s3.getObjectAsBytes(r -> r.bucket("plain").key("sealed-copy")).asByteArray()).isEqualTo(big);

        // Without the default, new objects are stored in clear again; the encrypted ones still read.
        s3.deleteBucketEncryption(r -> r.bucket("vault-default"));
        Awaitility.await("the default is gone").atMost(MAP_SPREADS).ignoreExceptions().until(() ->
                s3.putObject(r -> r.bucket("vault-default").key("after"), RequestBody.fromString("after")).serverSideEncryption() == null);
        assertThat(s3.getObjectAsBytes(r -> r.bucket("vault-default").key("d")).asByteArray()).isEqualTo(defaulted);

        // On disk: the clear copy is found (the search works); no encrypted object is.
        int clearHits = 0;
        for (int i = 0; i < cluster.nodes(); i++) {
            try (var files = Files.walk(cluster.dev().nodeDir(i).resolve("data"))) {
                for (var f : files.filter(Files::isRegularFile).toList()) {
                    String content = new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1);
                    for (String sealed : List.of("CAIRN-SSE-S3-DEFAULT-OBJECT-CAIRN", "CAIRN-SSE-S3-MULTIPART-ONE-CAIRN",
                            "CAIRN-SSE-S3-MULTIPART-TWO-CAIRN", "CAIRN-SSE-S3-REQUESTED-INLINE-CAIRN")) {
                        assertThat(content).as(f.toString()).doesNotContain(sealed);
                    }
                    if (content.contains("CAIRN-SSE-S3-REQUESTED-CHUNK-CAIRN-SSE-S3-REQUESTED-CHUNK")) {
                        clearHits++; // the clear copy in bucket plain
                    }
                }
            }
        }
        assertThat(clearHits).as("files holding the clear copy").isPositive();
    }

    /** A browser upload form (POST Object) for {@code key}, its policy signed with SigV4 by {@code signer}'s key. */
    private static HttpResponse<String> postForm(String endpoint, String bucket, String key, JsonNode signer, String content) throws Exception {
        String amzDate = java.time.format.DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(java.time.ZoneOffset.UTC)
                .format(java.time.Instant.now());
        String date = amzDate.substring(0, 8);
        String credential = signer.path("access_key").asText() + "/" + date + "/us-east-1/s3/aws4_request";
        String policyJson = "{\"expiration\": \"" + java.time.Instant.now().plusSeconds(300) + "\", \"conditions\": [{\"bucket\": \""
                + bucket + "\"}, {\"key\": \"" + key + "\"}, {\"x-amz-algorithm\": \"AWS4-HMAC-SHA256\"}, {\"x-amz-credential\": \""
                + credential + "\"}, {\"x-amz-date\": \"" + amzDate + "\"}]}";
        String policy = java.util.Base64.getEncoder().encodeToString(policyJson.getBytes(StandardCharsets.UTF_8));
        byte[] k = ("AWS4" + signer.path("secret_key").asText()).getBytes(StandardCharsets.UTF_8);
        for (String part : new String[] {date, "us-east-1", "s3", "aws4_request", policy}) {
            javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacSHA256");
            mac.init(new javax.crypto.spec.SecretKeySpec(k, "HmacSHA256"));
            k = mac.doFinal(part.getBytes(StandardCharsets.UTF_8));
        }
        Map<String, String> fields = new LinkedHashMap<>();
        fields.put("key", key);
        fields.put("x-amz-algorithm", "AWS4-HMAC-SHA256");
        fields.put("x-amz-credential", credential);
        fields.put("x-amz-date", amzDate);
        fields.put("policy", policy);
        fields.put("x-amz-signature", java.util.HexFormat.of().formatHex(k));
        String boundary = "cairn-access-form";
        StringBuilder body = new StringBuilder();
        fields.forEach((name, value) -> body.append("--").append(boundary).append("\r\nContent-Disposition: form-data; name=\"").append(name)
                .append("\"\r\n\r\n").append(value).append("\r\n"));
        body.append("--").append(boundary).append("\r\nContent-Disposition: form-data; name=\"file\"; filename=\"f\"\r\n\r\n")
                .append(content).append("\r\n--").append(boundary).append("--\r\n");
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(endpoint + "/" + bucket))
                .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .POST(HttpRequest.BodyPublishers.ofString(body.toString())).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> get(HttpClient http, String url) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).GET().build(), HttpResponse.BodyHandlers.ofString());
    }
}
