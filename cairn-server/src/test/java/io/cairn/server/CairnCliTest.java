package io.cairn.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class CairnCliTest {

    private static CommandLine.ParseResult parse(String... args) {
        return new CommandLine(new CairnCli()).parseArgs(args);
    }

    private static Object leaf(CommandLine.ParseResult r) {
        while (r.hasSubcommand()) {
            r = r.subcommand();
        }
        return r.commandSpec().userObject();
    }

    @Test
    void bucketCreateTakesANameAPolicyAnOwnerAndATarget() {
        Object cmd = leaf(parse("admin", "bucket", "create", "archive", "--policy", "ec4+2", "--owner", "ALICE",
                "--endpoint", "http://127.0.0.1:9000", "--key", "K:S"));
        assertThat(cmd).isInstanceOf(CairnCli.Admin.Bucket.Create.class);
        CairnCli.Admin.Bucket.Create create = (CairnCli.Admin.Bucket.Create) cmd;
        assertThat(create.name).isEqualTo("archive");
        assertThat(create.policy).isEqualTo("ec4+2");
        assertThat(create.owner).isEqualTo("ALICE");
        assertThat(create.target.endpoint).isEqualTo("http://127.0.0.1:9000");
        assertThat(create.target.key).isEqualTo("K:S");
    }

    @Test
    void bucketCreateDefaultsToNoPolicyAndNoOwner() {
        CairnCli.Admin.Bucket.Create create = (CairnCli.Admin.Bucket.Create) leaf(parse("admin", "bucket", "create", "photos", "--dir", "dc"));
        assertThat(create.policy).isNull();
        assertThat(create.owner).isNull();
        assertThat(create.target.dir).isEqualTo(Path.of("dc"));
    }

    @Test
    void bucketCreateNeedsAName() {
        assertThatThrownBy(() -> parse("admin", "bucket", "create")).isInstanceOf(CommandLine.MissingParameterException.class)
                .hasMessageContaining("NAME");
    }

    @Test
    void bucketListParses() {
        assertThat(leaf(parse("admin", "bucket", "list", "--json"))).isInstanceOf(CairnCli.Admin.Bucket.ListBuckets.class);
    }

    @Test
    void aBadPolicyIsRefusedBeforeTheClusterIsAsked() {
        CommandLine cli = new CommandLine(new CairnCli());
        StringWriter err = new StringWriter();
        cli.setErr(new PrintWriter(err));
        cli.setExecutionExceptionHandler((e, c, p) -> {
            c.getErr().println("cairn: " + e.getMessage());
            return 2;
        });
        int code = cli.execute("admin", "bucket", "create", "archive", "--policy", "raid5", "--endpoint", "http://127.0.0.1:1",
                "--key", "K:S");
        assertThat(code).isEqualTo(2);
        assertThat(err.toString()).contains("raid5").contains("ecK+M");
    }

    @Test
    void devSubcommandsTakeTheDirectoryGivenBeforeOrAfterThem() {
        CairnCli.Dev.Stop before = (CairnCli.Dev.Stop) leaf(parse("dev", "--dir", "d1", "stop"));
        assertThat(before.dir.resolve(before.parent)).isEqualTo(Path.of("d1"));
        CairnCli.Dev.Stop after = (CairnCli.Dev.Stop) leaf(parse("dev", "stop", "--dir", "d2"));
        assertThat(after.dir.resolve(after.parent)).isEqualTo(Path.of("d2"));
        CairnCli.Dev.Stop neither = (CairnCli.Dev.Stop) leaf(parse("dev", "stop"));
        assertThat(neither.dir.resolve(neither.parent)).isEqualTo(Path.of("dev-cluster"));
        CairnCli.Dev.Node node = (CairnCli.Dev.Node) leaf(parse("dev", "--dir", "d3", "node", "kill", "1"));
        assertThat(node.dir.resolve(node.parent)).isEqualTo(Path.of("d3"));
    }
}
