package io.cairn.server.dev;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Starts node processes with the same JVM and class path as the current one, in a session of
 * their own so that a Ctrl-C in the terminal reaches only the process that started them.
 */
public final class NodeLauncher {

    public static final String MAIN_CLASS = "io.cairn.server.CairnCli";
    /** Heap of one dev node. */
    public static final String NODE_HEAP = "-Xmx2g";

    /** Starts {@code cairn server --config CONFIG} with output appended to {@code logFile}; returns the pid. */
    public long launch(Path config, Path logFile) throws IOException {
        return launch(config, logFile, null);
    }

    /**
     * As {@link #launch(Path, Path)}, in the network namespace {@code netnsOrNull} when given
     * ({@code ip netns exec}, which execs the JVM: the pid returned is still the node's).
     */
    public long launch(Path config, Path logFile, String netnsOrNull) throws IOException {
        List<String> cmd = new ArrayList<>();
        if (Files.isExecutable(Path.of("/usr/bin/setsid"))) {
            cmd.add("/usr/bin/setsid");
        }
        if (netnsOrNull != null) {
            cmd.addAll(List.of(ipCommand(), "netns", "exec", netnsOrNull));
        }
        cmd.add(javaBinary());
        String flags = System.getProperty("cairn.jvm.flags", "");
        cmd.addAll(Arrays.stream(flags.split("\\s+")).filter(s -> !s.isBlank()).toList());
        cmd.add(NODE_HEAP);
        // Out of memory, a node ends at once (with a line in its log) rather than limp on.
        cmd.add("-XX:+ExitOnOutOfMemoryError");
        // A JVM crash report and the GC pauses belong next to the node's log, not in whatever
        // directory the launching process happens to run in.
        Path nodeDir = logFile.toAbsolutePath().getParent();
        cmd.add("-XX:ErrorFile=" + nodeDir.resolve("hs_err_pid%p.log"));
        cmd.add("-Xlog:gc:file=" + nodeDir.resolve("gc.log") + ":time,uptime:filecount=2,filesize=10m");
        cmd.add("-Dcairn.node.config=" + config.toAbsolutePath());
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(MAIN_CLASS);
        cmd.add("server");
        cmd.add("--config");
        cmd.add(config.toAbsolutePath().toString());
        Process p = new ProcessBuilder(cmd)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .start();
        // While this process lives, a node's end is written to its log with the exit code
        // (134: aborted, 137: killed), so that a crash explains itself.
        p.onExit().thenAccept(ended -> {
            try {
                Files.writeString(logFile, "[launcher] node process " + ended.pid() + " exited with code " + ended.exitValue() + "\n",
                        StandardCharsets.UTF_8, java.nio.file.StandardOpenOption.APPEND);
            } catch (IOException e) {
                // the log is gone with its directory
            }
        });
        return p.pid();
    }

    private static String ipCommand() throws IOException {
        for (String candidate : List.of("/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip")) {
            if (Files.isExecutable(Path.of(candidate))) {
                return candidate;
            }
        }
        throw new IOException("a node is to start in a network namespace, but no 'ip' command (iproute2) is installed");
    }

    private static String javaBinary() {
        String fromLauncher = System.getProperty("cairn.java");
        if (fromLauncher != null && Files.isExecutable(Path.of(fromLauncher))) {
            return fromLauncher;
        }
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    /** Whether {@code pid} is a live node process started with {@code config}. */
    public static boolean isNode(long pid, Path config) {
        Path cmdline = Path.of("/proc", Long.toString(pid), "cmdline");
        if (Files.exists(cmdline)) {
            try {
                String s = new String(Files.readAllBytes(cmdline), StandardCharsets.UTF_8);
                return s.contains(config.toAbsolutePath().toString());
            } catch (IOException e) {
                return false;
            }
        }
        return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    }

    /** SIGTERM, then SIGKILL if the process has not ended after {@code grace}. */
    public static void stop(ProcessHandle p, Duration grace) {
        p.destroy();
        try {
            p.onExit().get(grace.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            p.destroyForcibly();
            p.onExit().join();
        } catch (Exception e) {
            p.destroyForcibly();
        }
    }
}
