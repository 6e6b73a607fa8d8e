package io.cairn.server;

import com.fasterxml.jackson.databind.JsonNode;
import io.cairn.core.map.StoragePolicy;
import io.cairn.server.admin.AdminClient;
import io.cairn.server.admin.BucketPrinter;
import io.cairn.server.admin.StatusPrinter;
import io.cairn.server.dev.DevCluster;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** The {@code cairn} command line. */
@Command(name = "cairn", mixinStandardHelpOptions = true, version = "cairn 0.1.0",
        description = "Cairn: a distributed, self-healing object store with an S3 API.",
        footer = {"", "The ./cairn launcher also runs: test (the whole test suite), build, bench codec|recovery|... (benchmarks),",
                "and sim [--seed S] [--nodes N] [--steps K] [--faulty F] [--seeds COUNT] [--trace] (the cluster simulator)."},
        subcommands = {CairnCli.Server.class, CairnCli.Dev.class, CairnCli.Admin.class, CairnCli.SseKey.class, CairnCli.BootstrapTokenCommand.class,
                CommandLine.HelpCommand.class})
public final class CairnCli {

    static final Duration READY_TIMEOUT = Duration.ofSeconds(180);
    static final Duration STOP_GRACE = Duration.ofSeconds(20);

    public static void main(String[] args) {
        CommandLine cli = new CommandLine(new CairnCli());
        cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
            if (e instanceof ConfigException || e instanceof IllegalArgumentException || e instanceof IOException) {
                cmd.getErr().println("cairn: " + e.getMessage());
                return 2;
            }
            throw e;
        });
        int code = cli.execute(args);
        if (code != 0 || !isServer(args)) {
            System.exit(code);
        }
    }

    private static boolean isServer(String[] args) {
        return args.length > 0 && args[0].equals("server");
    }

    @Command(name = "server", description = "Runs one Cairn node.")
    static final class Server implements Callable<Integer> {
        @Option(names = "--config", required = true, description = "The node's configuration file (YAML).")
        Path config;

        @Override
        public Integer call() throws Exception {
            NodeConfig c = NodeConfig.load(config);
            NodeProcess p = NodeProcess.start(c);
            Runtime.getRuntime().addShutdownHook(new Thread(p::close, "shutdown"));
            return 0;
        }
    }

    static final class DirOption {
        @Option(names = "--dir", description = "The dev cluster's directory (default: ${DEFAULT-VALUE}).", defaultValue = "dev-cluster")
        Path dir;
    }

    /** The directory of a {@code dev} subcommand: its own {@code --dir}, else the one given before it ({@code dev --dir D stop}). */
    static final class SubDirOption {
        @Option(names = "--dir", description = "The dev cluster's directory (default: the one given to 'dev', else dev-cluster).")
        Path dir;

        Path resolve(Dev parent) {
            return dir != null ? dir : parent.dir.dir;
        }
    }

    @Command(name = "dev", description = "Starts a local cluster of real node processes on 127.0.0.1.",
            subcommands = {Dev.Stop.class, Dev.Node.class})
    static final class Dev implements Callable<Integer> {
        @Option(names = "--nodes", description = "Number of data nodes of a new cluster (default: 4); given for a cluster that"
                + " exists, it grows it to that many (the new nodes join with one-time tokens).")
        Integer nodes;
        @CommandLine.Mixin
        DirOption dir = new DirOption();
        @Option(names = "--detach", description = "Return once the cluster is ready; stop it with 'cairn dev stop'.")
        boolean detach;
        @Option(names = "--base-port", description = "S3 port of node 0; node i serves S3 on BASE+i, cluster traffic on BASE+100+i and Raft on BASE+200+i (default: ${DEFAULT-VALUE}).",
                defaultValue = "9000")
        int basePort;
        @Option(names = "--tls", description = "Serve S3 and the admin API over HTTPS with certificates of a local CA "
                + "(DIR/public-ca/ca.crt, written to DIR/env as AWS_CA_BUNDLE); once given, the cluster keeps it.")
        boolean tls;
        @Option(names = "--sites", description = "Spread the nodes over this many sites, in turn: node i is in site (i mod N) + 1,"
                + " written as 'site' and 'zone' in its config.yaml (default: ${DEFAULT-VALUE}); fixed when the cluster is created.",
                defaultValue = "1")
        int sites;
        @Option(names = "--site-delay-millis", description = "For trying a stretched cluster on one machine: one-way delay added to"
                + " node-to-node and Raft calls between sites (written as site_delay_millis; default: ${DEFAULT-VALUE}); fixed when the"
                + " cluster is created.", defaultValue = "0")
        long siteDelayMillis;
        @Option(names = "--site-loss-percent", description = "With --site-delay-millis: the share of the messages between sites that"
                + " are lost and sent again 200 ms later, holding back those after them on their call, as TCP would (written as"
                + " site_loss_percent, 0 to 50; default: ${DEFAULT-VALUE}); fixed when the cluster is created.", defaultValue = "0")
        double siteLossPercent;
        @Option(names = "--site-link", paramLabel = "SITE,SITE,DELAY_MILLIS[,LOSS_PERCENT]", description = "A link of its own between"
                + " two sites, in place of --site-delay-millis and --site-loss-percent for that pair (the tie-breaker's site3 nearer"
                + " than the other data site, say: --site-link site1,site3,5 --site-link site2,site3,5); repeatable, written as"
                + " site_links; fixed when the cluster is created.")
        List<String> siteLinks = new java.util.ArrayList<>();
        @Option(names = "--cut-interval-millis", paramLabel = "MILLIS", description = "Take a consistent cut of every partition every"
                + " MILLIS (written as cut_interval_millis), as a primary site shipping to a backup site needs; fixed when the cluster"
                + " is created.")
        Long cutIntervalMillis;
        @Option(names = "--backup-site", description = "Make the cluster a backup site (written as backup_site: true): it takes a"
                + " primary site's consistent cuts once linked ('cairn admin replicate add' against the primary) and serves them"
                + " read-only until promoted; fixed when the cluster is created.")
        boolean backupSite;
        @Option(names = "--primary-site", description = "Restart a running dev cluster made with --backup-site, promoted and"
                + " settled ('cairn admin replicate status' shows stage settled), as a primary site from now on: its nodes start"
                + " without backup_site (with --cut-interval-millis, to ship to a backup site of its own).")
        boolean primarySite;

        @Override
        public Integer call() throws Exception {
            if (cutIntervalMillis != null
                    && (cutIntervalMillis < NodeConfig.CUT_INTERVAL_MILLIS_MIN || cutIntervalMillis > NodeConfig.CUT_INTERVAL_MILLIS_MAX)) {
                throw new CommandLine.ParameterException(new CommandLine(this), "--cut-interval-millis must be "
                        + NodeConfig.CUT_INTERVAL_MILLIS_MIN + " to " + NodeConfig.CUT_INTERVAL_MILLIS_MAX + ": " + cutIntervalMillis);
            }
            int wanted = nodes != null ? nodes
                    : java.nio.file.Files.exists(dir.dir.resolve("cluster.json")) ? DevCluster.open(dir.dir).layout().dataNodes() : 4;
            DevCluster.Options defaults = DevCluster.Options.defaults(wanted);
            DevCluster.Options options = new DevCluster.Options(wanted, basePort,
                    defaults.partitions(), defaults.heartbeatIntervalMillis(), defaults.downAfterMillis(), defaults.capacityBytes())
                    .withSites(sites).withSiteDelay(siteDelayMillis).withSiteLoss(siteLossPercent);
            if (primarySite) {
                if (backupSite) {
                    throw new CommandLine.ParameterException(new CommandLine(this), "--primary-site and --backup-site exclude each other");
                }
                DevCluster.open(dir.dir).runAsPrimarySite(cutIntervalMillis, STOP_GRACE);
            } else if (cutIntervalMillis != null || backupSite) {
                options = options.withEveryNode(new DevCluster.NodeSettings(null, null, null, null, null, null, null, null, null,
                        cutIntervalMillis, backupSite ? Boolean.TRUE : null));
            }
            for (String link : siteLinks) {
                String[] f = link.split(",", -1);
                if (f.length < 3 || f.length > 4) {
                    throw new CommandLine.ParameterException(new CommandLine(this),
                            "--site-link takes SITE,SITE,DELAY_MILLIS[,LOSS_PERCENT], not '" + link + "'");
                }
                try {
                    options = options.withSiteLink(f[0].trim(), f[1].trim(), Long.parseLong(f[2].trim()),
                            f.length == 4 ? Double.parseDouble(f[3].trim()) : 0);
                } catch (NumberFormatException e) {
                    throw new CommandLine.ParameterException(new CommandLine(this),
                            "--site-link '" + link + "': the delay and the loss are numbers");
                }
            }
            DevCluster cluster = DevCluster.openOrCreate(dir.dir, tls ? options.withTls() : options);
            if (!detach) {
                Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                    System.out.println("\nstopping the dev cluster ...");
                    try {
                        cluster.stopAll(STOP_GRACE);
                    } catch (IOException e) {
                        System.err.println("cairn: " + e.getMessage());
                    }
                }, "dev-stop"));
            }
            cluster.startAll();
            cluster.awaitReady(READY_TIMEOUT);
            printWelcome(cluster);
            if (detach) {
                return 0;
            }
            System.out.println("Press Ctrl-C to stop the cluster.");
            Thread.currentThread().join();
            return 0;
        }

        private static void printWelcome(DevCluster c) {
            DevCluster.Layout l = c.layout();
            System.out.println("Cairn dev cluster is up: " + l.nodes() + " nodes in " + c.dir().toAbsolutePath());
            for (int i = 0; i < l.nodes(); i++) {
                System.out.printf("  node-%d  S3 %s   pid %s   log %s%n", i, l.endpoint(i),
                        c.pid(i).map(String::valueOf).orElse("-"), c.nodeDir(i).resolve("log"));
            }
            System.out.println();
            System.out.println("  access key: " + l.accessKey());
            System.out.println("  secret key: " + l.secretKey());
            if (l.tls()) {
                System.out.println("  CA bundle:  " + c.publicCaFile() + " (S3 over HTTPS only)");
            }
            System.out.println();
            System.out.println("Try it:");
            System.out.println("  . " + c.dir().resolve("env"));
            System.out.println("  aws s3 mb s3://demo && aws s3 cp README.md s3://demo/ && aws s3 ls s3://demo/");
            System.out.println("  ./cairn admin status --dir " + c.dir());
        }

        @Command(name = "stop", description = "Stops every node of a dev cluster.")
        static final class Stop implements Callable<Integer> {
            @CommandLine.ParentCommand
            Dev parent;
            @CommandLine.Mixin
            SubDirOption dir = new SubDirOption();

            @Override
            public Integer call() throws Exception {
                Path d = dir.resolve(parent);
                DevCluster.open(d).stopAll(STOP_GRACE);
                System.out.println("stopped the dev cluster in " + d);
                return 0;
            }
        }

        @Command(name = "node", description = "kill|stop|start I: SIGKILL, stop or (re)start node I; add: start one more node.")
        static final class Node implements Callable<Integer> {
            @Parameters(index = "0", description = "kill, stop, start or add")
            String action;
            @Parameters(index = "1", arity = "0..1", description = "node index")
            Integer index;
            @CommandLine.ParentCommand
            Dev parent;
            @CommandLine.Mixin
            SubDirOption dir = new SubDirOption();

            @Override
            public Integer call() throws Exception {
                DevCluster c = DevCluster.open(dir.resolve(parent));
                if (action.equals("add")) {
                    int i = c.addNode();
                    c.awaitReady(READY_TIMEOUT);
                    System.out.println("node-" + i + " joined: S3 " + c.layout().endpoint(i));
                    return 0;
                }
                if (index == null) {
                    throw new IllegalArgumentException("'cairn dev node " + action + "' needs a node index");
                }
                switch (action) {
                    case "kill" -> c.killNode(index);
                    case "stop" -> c.stopNode(index, STOP_GRACE);
                    case "start" -> {
                        c.startNode(index);
                        c.awaitReady(READY_TIMEOUT);
                    }
                    default -> throw new IllegalArgumentException("unknown action '" + action + "' (kill, stop, start or add)");
                }
                System.out.println("node-" + index + ": " + action + " done");
                return 0;
            }
        }
    }

    @Command(name = "bootstrap-token", description = "Prints a new cluster's bootstrap token: give it (bootstrap_token) to the"
            + " first nodes of a cluster that does not exist yet; the first meta voter makes the cluster CA and admits the others"
            + " with it for an hour.")
    static final class BootstrapTokenCommand implements Callable<Integer> {
        @Override
        public Integer call() {
            System.out.println(io.cairn.meta.tls.BootstrapToken.create());
            System.err.println("set bootstrap_token to it on the new cluster's first nodes (and join_endpoints to the first voter's public"
                    + " address on all but that voter); keep it as secret as a key");
            return 0;
        }
    }

    @Command(name = "sse-key", description = "The SSE master key file of a node (sse_master_key_file), a key ring: create"
            + " (a new file of one key, for a new cluster: copy it to every node), list, add (a new key, known but not used yet), use ID (the key that wraps from now on), remove ID. Change every node's"
            + " file alike, and restart the nodes between add and use, and before remove run 'cairn admin sse rewrap'.")
    static final class SseKey implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "ACTION", description = "create, list, add, use or remove")
        String action;
        @Parameters(index = "1", paramLabel = "ID", arity = "0..1", description = "use, remove: the key id, as list shows it.")
        String id;
        @Option(names = "--file", required = true, description = "The master key file (a dev cluster's: DIR/ca/sse-master.key).")
        Path file;

        @Override
        public Integer call() throws Exception {
            switch (action) {
                case "create" -> {
                    if (java.nio.file.Files.exists(file)) {
                        throw new CommandLine.ParameterException(new CommandLine(this), file + " exists already: it is not replaced");
                    }
                    io.cairn.server.gateway.KeyRingFile.createIfAbsent(file);
                    System.out.println(io.cairn.server.gateway.KeyRingFile.ids(file).getFirst());
                    System.err.println("a new master key file " + file + " (mode 0600): give every node of the cluster a copy");
                }
                case "list" -> {
                    List<String> ids = io.cairn.server.gateway.KeyRingFile.ids(file);
                    for (int i = 0; i < ids.size(); i++) {
                        System.out.println(ids.get(i) + (i == 0 ? "  current: wraps new data keys and secrets" : "  opens what it wrapped"));
                    }
                }
                case "add" -> {
                    String added = io.cairn.server.gateway.KeyRingFile.add(file);
                    System.out.println(added);
                    System.err.println("key " + added + " added, not used yet: add it to every node's file (the same key: copy the file),"
                            + " restart the nodes, then 'cairn sse-key use " + added + "' on each");
                }
                case "use", "remove" -> {
                    if (id == null) {
                        throw new CommandLine.ParameterException(new CommandLine(this), action + " needs the key ID");
                    }
                    if (action.equals("use")) {
                        io.cairn.server.gateway.KeyRingFile.use(file, id);
                        System.err.println("key " + id + " is first in " + file + ": restart the node to wrap with it");
                    } else {
                        io.cairn.server.gateway.KeyRingFile.remove(file, id);
                        System.err.println("key " + id + " removed from " + file + ": restart the node");
                    }
                }
                default -> throw new CommandLine.ParameterException(new CommandLine(this),
                        "unknown action '" + action + "': use create, list, add, use or remove");
            }
            return 0;
        }
    }

    @Command(name = "admin", description = "Operates a running cluster.", subcommands = {Admin.Status.class, Admin.Bucket.class,
            Admin.NodeCommand.class, Admin.User.class, Admin.Key.class, Admin.Sse.class, Admin.Replicate.class, Admin.Chunks.class})
    static final class Admin {

        @Command(name = "replicate", description = "Asynchronous replication to a backup site. add --to ENDPOINT"
                + " [--to ENDPOINT...] --to-key ACCESS:SECRET [--to-ca-bundle PEM] [--bucket NAME...]: ship this cluster's"
                + " consistent cuts (of those buckets only, when given) to that backup site; remove: stop shipping; status: this"
                + " cluster's part (a primary site and how far its backup site is, or a backup site and the round it shows);"
                + " promote: on a backup site, make that round final and open it for writes (after its primary site is lost).")
        static final class Replicate implements Callable<Integer> {
            @Parameters(index = "0", paramLabel = "ACTION", description = "add, remove, status or promote")
            String action;
            @Option(names = "--to", description = "An S3 endpoint of the backup site (add).")
            List<String> to;
            @Option(names = "--to-key", description = "ACCESS_KEY:SECRET_KEY of an admin user of the backup site (add).")
            String toKey;
            @Option(names = "--to-ca-bundle", description = "PEM file of the CA to trust for the backup site's https:// endpoints (add).")
            Path toCaBundle;
            @Option(names = "--bucket", paramLabel = "NAME", description = "Link only this bucket (add; repeatable): without it, the"
                    + " whole cluster is linked.")
            List<String> buckets = new java.util.ArrayList<>();
            @CommandLine.Mixin
            Target target = new Target();

            @Override
            public Integer call() throws Exception {
                AdminClient client = target.client();
                switch (action) {
                    case "add" -> {
                        if (to == null || to.isEmpty() || toKey == null) {
                            throw new CommandLine.ParameterException(new CommandLine(this), "add needs --to ENDPOINT and --to-key ACCESS:SECRET");
                        }
                        String pem = toCaBundle == null ? null : java.nio.file.Files.readString(toCaBundle);
                        System.out.println(client.replicateAdd(to, toKey, pem, buckets).toPrettyString());
                    }
                    case "remove" -> System.out.println(client.replicateRemove().toPrettyString());
                    case "status" -> System.out.println(client.replicate().toPrettyString());
                    case "promote" -> System.out.println(client.promoteBackup().toPrettyString());
                    default -> throw new CommandLine.ParameterException(new CommandLine(this),
                            "unknown action '" + action + "': use add, remove, status or promote");
                }
                return 0;
            }
        }

        @Command(name = "chunks", description = "sweep: free the data chunks no object or multipart upload names (a PUT cut"
                + " short by a node's loss, a delete whose chunks could not be freed, a deleted bucket's leftovers) once older than"
                + " the grace period. Every node also sweeps on its own, every quarter of orphan_chunk_grace_seconds.")
        static final class Chunks implements Callable<Integer> {
            @Parameters(index = "0", paramLabel = "ACTION", description = "sweep")
            String action;
            @Option(names = "--grace-seconds", description = "Free only chunks older than this (default: the node's"
                    + " orphan_chunk_grace_seconds, a day). It must exceed the longest PUT under way: a shorter one frees its chunks.")
            Long graceSeconds;
            @Option(names = "--dry-run", description = "Count what would be freed; free nothing.")
            boolean dryRun;
            @Option(names = "--force", description = "Free with a grace shorter than a PUT may take (request_deadline_seconds):"
                    + " only when no PUT is under way.")
            boolean force;
            @CommandLine.Mixin
            Target target = new Target();

            @Override
            public Integer call() throws Exception {
                if (!"sweep".equals(action)) {
                    throw new CommandLine.ParameterException(new CommandLine(this), "unknown action '" + action + "': use sweep");
                }
                if (graceSeconds != null && graceSeconds < 0) {
                    throw new CommandLine.ParameterException(new CommandLine(this), "--grace-seconds must be 0 or more");
                }
                System.out.println(target.client().sweepChunks(graceSeconds, dryRun, force).toPrettyString());
                return 0;
            }
        }

        @Command(name = "sse", description = "What each SSE master key wraps (objects, uploads under way, secret keys); rewrap:"
                + " wrap every object's and upload's data key anew by the current master key, so the others can be removed.")
        static final class Sse implements Callable<Integer> {
            @Parameters(index = "0", paramLabel = "ACTION", arity = "0..1", description = "rewrap (default: only count)")
            String action;
            @CommandLine.Mixin
            Target target = new Target();

            @Override
            public Integer call() throws Exception {
                if (action != null && !action.equals("rewrap")) {
                    throw new CommandLine.ParameterException(new CommandLine(this), "unknown action '" + action + "': use rewrap or none");
                }
                System.out.println(target.client().sseKeys(action != null).toPrettyString());
                return 0;
            }
        }

        static final class Target {
            @Option(names = "--dir", description = "A dev cluster's directory: its endpoints and admin key are used.")
            Path dir;
            @Option(names = "--endpoint", description = "Any node's S3 endpoint, e.g. http://127.0.0.1:9000.")
            String endpoint;
            @Option(names = "--key", description = "ACCESS_KEY:SECRET_KEY of an admin user (or CAIRN_ADMIN_KEY).")
            String key;
            @Option(names = "--ca-bundle", description = "PEM file of the CA to trust for an https:// endpoint (or AWS_CA_BUNDLE); "
                    + "default: the JVM's trusted CAs.")
            Path caBundle;

            AdminClient client() throws IOException {
                Path d = dir;
                if (d == null && endpoint == null) {
                    String env = System.getenv("CAIRN_DEV_DIR");
                    d = Path.of(env != null ? env : "dev-cluster");
                }
                if (d != null) {
                    DevCluster c = DevCluster.open(d);
                    return endpoint == null ? c.adminClient()
                            : new AdminClient(List.of(endpoint), c.layout().accessKey() + ":" + c.layout().secretKey(), c.clientTls());
                }
                String k = key != null ? key : System.getenv("CAIRN_ADMIN_KEY");
                if (k == null) {
                    throw new IllegalArgumentException("--endpoint needs --key ACCESS_KEY:SECRET_KEY (or CAIRN_ADMIN_KEY)");
                }
                Path ca = caBundle != null ? caBundle : System.getenv("AWS_CA_BUNDLE") != null ? Path.of(System.getenv("AWS_CA_BUNDLE")) : null;
                String region = System.getenv("AWS_REGION") != null ? System.getenv("AWS_REGION") : io.cairn.s3.S3GatewayConfig.DEFAULT_REGION;
                return new AdminClient(List.of(endpoint), k, ca == null ? null : io.cairn.meta.tls.ServerTls.clientContext(ca), region);
            }
        }

        @Command(name = "status", description = "Epoch, nodes, partitions and capacity of the cluster.")
        static final class Status implements Callable<Integer> {
            @CommandLine.Mixin
            Target target = new Target();
            @Option(names = "--json", description = "Print the status document as JSON.")
            boolean json;

            @Override
            public Integer call() throws Exception {
                AdminClient client = target.client();
                if (json) {
                    System.out.println(client.statusJson());
                } else {
                    StatusPrinter.print(client.status(), new PrintWriter(System.out, true));
                }
                return 0;
            }
        }

        @Command(name = "node", description = "drain NODE: move every partition off a node before removing it;"
                + " in NODE: take a drained node back; remove NODE: remove a drained node for good and revoke its certificate;"
                + " token: a one-time join token for a new node.")
        static final class NodeCommand implements Callable<Integer> {
            @Parameters(index = "0", paramLabel = "ACTION", description = "drain, in, remove or token")
            String action;
            @Parameters(index = "1", paramLabel = "NODE", arity = "0..1", description = "The node id, as 'cairn admin status' shows it.")
            String nodeId;
            @Option(names = "--ttl-minutes", paramLabel = "MINUTES", description = "token: how long the token admits a node (default 60).")
            long ttlMinutes = io.cairn.server.join.NodeAdmission.TTL_MINUTES_DEFAULT;
            @Option(names = "--json", description = "token: print {\"token\", \"expires_millis\"}.")
            boolean json;
            @CommandLine.Mixin
            Target target = new Target();

            @Override
            public Integer call() throws Exception {
                if (action.equals("token")) {
                    JsonNode t = target.client().createJoinToken(ttlMinutes);
                    if (json) {
                        System.out.println(t.toString());
                    } else {
                        System.out.println(t.path("token").asText());
                        System.err.println("one node may join with it until " + java.time.Instant.ofEpochMilli(t.path("expires_millis").asLong())
                                + ": set join_token and join_endpoints in its config.yaml");
                    }
                    return 0;
                }
                if (nodeId == null) {
                    throw new CommandLine.ParameterException(new CommandLine(this), action + " needs the NODE id");
                }
                if (action.equals("remove")) {
                    JsonNode r = target.client().removeNode(nodeId);
                    System.out.println("node " + nodeId + " is removed (epoch " + r.path("epoch").asLong() + "): its certificate is"
                            + " refused on every cluster connection from now on; stop its process and wipe its disks");
                    return 0;
                }
                boolean in = switch (action) {
                    case "drain" -> false;
                    case "in" -> true;
                    default -> throw new CommandLine.ParameterException(new CommandLine(this),
                            "unknown action '" + action + "': use drain, in or remove");
                };
                JsonNode r = target.client().markNode(nodeId, in);
                System.out.println(in
                        ? "node " + nodeId + " is in again (epoch " + r.path("epoch").asLong() + "); placement assigns it partitions"
                        : "node " + nodeId + " is draining (epoch " + r.path("epoch").asLong() + "): its partitions move to other nodes;"
                        + " watch 'cairn admin status' until no partition is degraded or recovering, then 'cairn admin node remove "
                        + nodeId + "'");
                return 0;
            }
        }

        @Command(name = "bucket", description = "Creates and lists buckets.", subcommands = {Bucket.Create.class, Bucket.ListBuckets.class,
                Bucket.Grant.class, Bucket.Revoke.class})
        static final class Bucket {

            @Command(name = "create", description = "Creates a bucket with a storage policy: repN (N copies) or ecK+M"
                    + " (K data + M parity blocks). Its index is always kept in the replicated default pool.")
            static final class Create implements Callable<Integer> {
                @Parameters(index = "0", paramLabel = "NAME", description = "The bucket name (S3 rules: 3-63 of a-z, 0-9, '.', '-').")
                String name;
                @Option(names = "--policy", paramLabel = "POLICY", description = "Storage policy of the bucket's data, e.g. rep2 or ec4+2"
                        + " (default: the default pool's, rep3).")
                String policy;
                @Option(names = "--owner", paramLabel = "USER", description = "The user who owns the bucket (a user name, or one of"
                        + " the user's access keys; default: the admin user whose key is used).")
                String owner;
                @Option(names = "--json", description = "Print the created bucket as JSON.")
                boolean json;
                @CommandLine.Mixin
                Target target = new Target();

                @Override
                public Integer call() throws Exception {
                    if (policy != null) {
                        StoragePolicy.parse(policy); // a typo is refused before the cluster is asked
                    }
                    JsonNode b = target.client().createBucket(name, policy, owner);
                    PrintWriter out = new PrintWriter(System.out, true);
                    if (json) {
                        out.println(b.toString());
                    } else {
                        BucketPrinter.printCreated(b, out);
                    }
                    return 0;
                }
            }

            @Command(name = "grant", description = "Gives a user or one access key read, write or owner rights on a bucket.")
            static final class Grant implements Callable<Integer> {
                @Parameters(index = "0", paramLabel = "BUCKET")
                String bucket;
                @CommandLine.ArgGroup(exclusive = true, multiplicity = "1")
                Grantee grantee;
                @Option(names = "--permission", required = true, paramLabel = "PERMISSION", description = "read, write or owner")
                String permission;
                @CommandLine.Mixin
                Target target = new Target();

                @Override
                public Integer call() throws Exception {
                    JsonNode b = target.client().grant(bucket, grantee.user, grantee.key, permission);
                    System.out.println("bucket " + bucket + ": " + b.path("grants"));
                    return 0;
                }
            }

            @Command(name = "revoke", description = "Takes back what a user or one access key was granted on a bucket.")
            static final class Revoke implements Callable<Integer> {
                @Parameters(index = "0", paramLabel = "BUCKET")
                String bucket;
                @CommandLine.ArgGroup(exclusive = true, multiplicity = "1")
                Grantee grantee;
                @CommandLine.Mixin
                Target target = new Target();

                @Override
                public Integer call() throws Exception {
                    JsonNode b = target.client().grant(bucket, grantee.user, grantee.key, null);
                    System.out.println("bucket " + bucket + ": " + b.path("grants"));
                    return 0;
                }
            }

            static final class Grantee {
                @Option(names = "--user", paramLabel = "NAME", description = "A user (all its keys).")
                String user;
                @Option(names = "--access-key", paramLabel = "ACCESS_KEY", description = "One access key.")
                String key;
            }

            @Command(name = "list", description = "Lists every bucket with its owner, storage policy and pools.")
            static final class ListBuckets implements Callable<Integer> {
                @Option(names = "--json", description = "Print the list as JSON.")
                boolean json;
                @CommandLine.Mixin
                Target target = new Target();

                @Override
                public Integer call() throws Exception {
                    JsonNode list = target.client().buckets();
                    PrintWriter out = new PrintWriter(System.out, true);
                    if (json) {
                        out.println(list.toString());
                    } else {
                        BucketPrinter.printList(list, out);
                    }
                    return 0;
                }
            }
        }
    
        @Command(name = "user", description = "Users of the cluster: create NAME [--admin] [--json], list [--json], delete NAME.")
        static final class User implements Callable<Integer> {
            @Parameters(index = "0", paramLabel = "ACTION", description = "create, list or delete")
            String action;
            @Parameters(index = "1", paramLabel = "NAME", arity = "0..1", description = "The user name (create, delete).")
            String name;
            @Option(names = "--admin", description = "create: the user may use the admin API.")
            boolean admin;
            @Option(names = "--json", description = "Print the answer as JSON.")
            boolean json;
            @CommandLine.Mixin
            Target target = new Target();

            @Override
            public Integer call() throws Exception {
                AdminClient client = target.client();
                PrintWriter out = new PrintWriter(System.out, true);
                switch (action) {
                    case "create" -> {
                        JsonNode u = client.createUser(requireName(), admin);
                        if (json) {
                            out.println(COMPACT_JSON.writeValueAsString(java.util.Map.of("user", u.path("user").asText(),
                                    "access_key", u.path("access_key").asText(), "secret_key", u.path("secret_key").asText())));
                        } else {
                            out.println("created user " + u.path("user").asText() + (admin ? " (admin)" : ""));
                            out.println("  access key: " + u.path("access_key").asText());
                            out.println("  secret key: " + u.path("secret_key").asText());
                            out.println("The secret is shown this once: keep it now.");
                        }
                    }
                    case "list" -> {
                        JsonNode users = client.users();
                        if (json) {
                            out.println(users.toString());
                        } else {
                            out.printf("%-24s %-6s %-5s %s%n", "USER", "ADMIN", "KEYS", "BUCKETS");
                            for (JsonNode u : users.path("users")) {
                                out.printf("%-24s %-6s %-5d %d%n", u.path("user").asText(), u.path("admin").asBoolean() ? "yes" : "no",
                                        u.path("keys").size(), u.path("buckets").size());
                            }
                        }
                    }
                    case "delete" -> {
                        client.deleteUser(requireName());
                        out.println("deleted user " + name + " and its keys");
                    }
                    default -> throw new CommandLine.ParameterException(new CommandLine(this),
                            "unknown action '" + action + "': use create, list or delete");
                }
                return 0;
            }

            private String requireName() {
                if (name == null) {
                    throw new CommandLine.ParameterException(new CommandLine(this), action + " needs the user NAME");
                }
                return name;
            }
        }

        @Command(name = "key", description = "Access keys: create --user NAME [--read-only] [--json], list [--user NAME] [--json],"
                + " delete ACCESS_KEY.")
        static final class Key implements Callable<Integer> {
            @Parameters(index = "0", paramLabel = "ACTION", description = "create, list or delete")
            String action;
            @Parameters(index = "1", paramLabel = "ACCESS_KEY", arity = "0..1", description = "The key to delete.")
            String accessKey;
            @Option(names = "--user", paramLabel = "NAME", description = "The user the key is (or keys are) of.")
            String user;
            @Option(names = "--read-only", description = "create: the key may only read, whatever its user may do.")
            boolean readOnly;
            @Option(names = "--json", description = "Print the answer as JSON.")
            boolean json;
            @CommandLine.Mixin
            Target target = new Target();

            @Override
            public Integer call() throws Exception {
                AdminClient client = target.client();
                PrintWriter out = new PrintWriter(System.out, true);
                switch (action) {
                    case "create" -> {
                        if (user == null) {
                            throw new CommandLine.ParameterException(new CommandLine(this), "create needs --user NAME");
                        }
                        JsonNode k = client.createKey(user, readOnly);
                        if (json) {
                            out.println(COMPACT_JSON.writeValueAsString(java.util.Map.of("user", k.path("user").asText(),
                                    "access_key", k.path("access_key").asText(), "secret_key", k.path("secret_key").asText(),
                                    "read_only", k.path("read_only").asBoolean())));
                        } else {
                            out.println("created " + (readOnly ? "a read-only" : "a") + " key of user " + user);
                            out.println("  access key: " + k.path("access_key").asText());
                            out.println("  secret key: " + k.path("secret_key").asText());
                            out.println("The secret is shown this once: keep it now.");
                        }
                    }
                    case "list" -> {
                        JsonNode keys = client.keys(user);
                        if (json) {
                            out.println(keys.toString());
                        } else {
                            out.printf("%-24s %-24s %s%n", "ACCESS KEY", "USER", "READ-ONLY");
                            for (JsonNode k : keys.path("keys")) {
                                out.printf("%-24s %-24s %s%n", k.path("access_key").asText(), k.path("user").asText(),
                                        k.path("read_only").asBoolean() ? "yes" : "no");
                            }
                        }
                    }
                    case "delete" -> {
                        if (accessKey == null) {
                            throw new CommandLine.ParameterException(new CommandLine(this), "delete needs the ACCESS_KEY");
                        }
                        client.deleteKey(accessKey);
                        out.println("deleted key " + accessKey);
                    }
                    default -> throw new CommandLine.ParameterException(new CommandLine(this),
                            "unknown action '" + action + "': use create, list or delete");
                }
                return 0;
            }
        }

        private static final com.fasterxml.jackson.databind.ObjectMapper COMPACT_JSON = new com.fasterxml.jackson.databind.ObjectMapper();
}
}
