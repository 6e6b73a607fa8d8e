package io.cairn.testkit;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What one test node's log says about it: every end of its process with the exit code the
 * launcher recorded, the JVM's fatal messages and logged errors, and, for a node that died
 * without the test killing it or that does not answer, the tail of its log.
 *
 * @param troubled whether the node died unexpectedly, hangs, or logged errors
 * @param text the report, one or more lines, each ending with a newline
 */
public record NodeLogReport(boolean troubled, String text) {

    /** Lines of the log's tail shown for a node in trouble. */
    public static final int TAIL_LINES = 60;
    /** Notable lines (errors, fatal messages) shown per node. */
    public static final int NOTABLE_LINES_MAX = 30;
    /** Only the end of a log this long is read. */
    public static final int LOG_BYTES_MAX = 4 << 20;

    private static final Pattern EXIT = Pattern.compile("\\[launcher] node process (\\d+) exited with code (-?\\d+)");

    /**
     * @param pid the node's process if it runs now
     * @param killedPids processes the test ended on purpose
     * @param answers whether the node answers its health check now
     * @param crashFilesDir where the JVM writes {@code hs_err_pid*.log} for the node processes
     *     unless told to write them next to the log (both places are looked at)
     */
    public static NodeLogReport of(int index, Path log, Optional<Long> pid, Set<Long> killedPids, boolean answers, Path crashFilesDir) {
        String name = "node-" + index;
        if (!Files.exists(log)) {
            return new NodeLogReport(pid.isEmpty(), "=== " + name + ": no log at " + log + (pid.isEmpty() ? ", not running\n" : "\n"));
        }
        List<String> lines;
        try {
            lines = tailOf(log);
        } catch (IOException e) {
            return new NodeLogReport(true, "=== " + name + ": log unreadable: " + e + "\n");
        }
        List<String> unexpectedExits = new ArrayList<>();
        List<Long> crashedPids = new ArrayList<>();
        Long lastExitPid = null;
        List<String> notable = new ArrayList<>();
        for (String line : lines) {
            Matcher m = EXIT.matcher(line);
            if (m.find()) {
                long exited = Long.parseLong(m.group(1));
                lastExitPid = exited;
                if (!killedPids.contains(exited)) {
                    unexpectedExits.add(line.trim());
                    crashedPids.add(exited);
                }
            } else if (isNotable(line) && notable.size() < NOTABLE_LINES_MAX) {
                notable.add(line);
            }
        }
        String state;
        boolean inTrouble = !unexpectedExits.isEmpty();
        if (pid.isPresent()) {
            state = answers ? "running (pid " + pid.get() + ")" : "running (pid " + pid.get() + ") but NOT answering its health check";
            inTrouble |= !answers;
        } else if (lastExitPid != null && killedPids.contains(lastExitPid)) {
            state = "not running: killed by the test";
        } else {
            state = "NOT running and not killed by the test";
            inTrouble = true;
        }
        StringBuilder out = new StringBuilder("=== " + name + ": " + state + "\n");
        for (String exit : unexpectedExits) {
            out.append("    died without the test killing it: ").append(exit).append('\n');
        }
        for (long crashed : crashedPids) {
            for (Path where : List.of(log.toAbsolutePath().getParent(), crashFilesDir)) {
                Path crashFile = where.resolve("hs_err_pid" + crashed + ".log");
                if (Files.exists(crashFile)) {
                    out.append("    JVM fatal error file: ").append(crashFile.toAbsolutePath()).append('\n');
                }
            }
        }
        if (!notable.isEmpty()) {
            out.append("    errors and fatal messages in its log:\n");
            notable.forEach(l -> out.append("      ").append(l).append('\n'));
        }
        if (inTrouble) {
            out.append("    last ").append(Math.min(TAIL_LINES, lines.size())).append(" lines of ").append(log).append(":\n");
            lines.subList(Math.max(0, lines.size() - TAIL_LINES), lines.size()).forEach(l -> out.append("      ").append(l).append('\n'));
        }
        return new NodeLogReport(inTrouble || !notable.isEmpty(), out.toString());
    }

    private static boolean isNotable(String line) {
        return line.contains(" ERROR ") || line.contains("Exception in thread") || line.contains("OutOfMemoryError")
                || line.startsWith("# A fatal error") || line.startsWith("Terminating due to") || line.startsWith("cairn: ")
                || line.contains("BindException") || line.contains("Address already in use");
    }

    /** The log's last {@link #LOG_BYTES_MAX} bytes as lines; bytes that are not UTF-8 are replaced, not fatal. */
    private static List<String> tailOf(Path log) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(log.toFile(), "r")) {
            long length = f.length();
            long from = Math.max(0, length - LOG_BYTES_MAX);
            byte[] bytes = new byte[(int) (length - from)];
            f.seek(from);
            f.readFully(bytes);
            List<String> lines = new ArrayList<>(new String(bytes, StandardCharsets.UTF_8).lines().toList());
            if (from > 0 && !lines.isEmpty()) {
                lines.removeFirst(); // cut in the middle
            }
            return lines;
        }
    }
}
