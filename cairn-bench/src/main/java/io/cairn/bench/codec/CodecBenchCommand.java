package io.cairn.bench.codec;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.cairn.core.codec.ErasureCodecs;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.runner.options.VerboseMode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ./cairn bench codec}: JMH encode and decode of 1 MiB stripes for 4+2, 8+3 and 10+4 with
 * both codecs on one thread, against {@code System.arraycopy} of the same bytes in the same run.
 * Prints GB/s (10^9 bytes of input data per second on one core) and the ratio to arraycopy.
 */
@Command(name = "codec", mixinStandardHelpOptions = true,
        description = "Erasure codec throughput (JMH, one thread): encode and decode of 1 MiB stripes, "
                + "Java and ISA-L, with System.arraycopy of the same bytes as the reference.")
public final class CodecBenchCommand implements Callable<Integer> {

    private static final String DEFAULT_JVM_FLAGS = "--add-modules=jdk.incubator.vector --enable-native-access=ALL-UNNAMED";
    private static final double BYTES_PER_GB = 1e9;
    private static final List<String> SHAPES = List.of("4+2", "8+3", "10+4");

    @Option(names = "--json", paramLabel = "FILE", description = "Also write the figures to FILE as JSON.")
    Path json;

    @Option(names = "--quick", description = "One warm-up and one short measurement per benchmark: a smoke run, rough figures.")
    boolean quick;

    @Option(names = "--verbose", description = "Show JMH's own progress output.")
    boolean verbose;

    /** One measured figure. */
    record Figure(String codec, int k, int m, String op, String memory, double gbPerSecond) {
    }

    @Override
    public Integer call() throws RunnerException, IOException {
        List<String> codecs = new ArrayList<>(List.of("java"));
        if (ErasureCodecs.isalAvailable()) {
            codecs.add("isal");
        } else {
            System.out.println("ISA-L not measured: " + ErasureCodecs.isalUnavailableReason().orElse("unavailable"));
        }
        System.out.println("cairn bench codec: " + (codecs.size() * SHAPES.size() * 2 + codecs.size() + 1)
                + " JMH benchmarks, one thread" + (quick ? " (quick)" : "") + " ...");

        double arraycopy = perSecond(run(options()
                .include(exact(ArraycopyBenchmark.class.getName() + ".arraycopy"))))
                .getFirst().getPrimaryResult().getScore() * CodecBenchmark.STRIPE_BYTES / BYTES_PER_GB;

        List<Figure> figures = new ArrayList<>();
        figures.addAll(figures(run(options()
                .include(exact(CodecBenchmark.class.getName() + ".") + "(encode|decode)$")
                .param("codec", codecs.toArray(String[]::new))
                .param("shape", SHAPES.toArray(String[]::new))
                .param("memory", "direct"))));
        figures.addAll(figures(run(options()
                .include(exact(CodecBenchmark.class.getName() + ".encode") + "$")
                .param("codec", codecs.toArray(String[]::new))
                .param("shape", "10+4")
                .param("memory", "heap"))));

        print(arraycopy, figures);
        if (json != null) {
            writeJson(arraycopy, figures);
            System.out.println("wrote " + json);
        }
        return 0;
    }

    private ChainedOptionsBuilder options() {
        String flags = System.getProperty("cairn.jvm.flags", DEFAULT_JVM_FLAGS);
        return new OptionsBuilder()
                .forks(1)
                .threads(1)
                .warmupIterations(quick ? 1 : 3)
                .warmupTime(TimeValue.seconds(1))
                .measurementIterations(quick ? 1 : 3)
                .measurementTime(quick ? TimeValue.milliseconds(500) : TimeValue.seconds(1))
                .jvmArgsAppend(flags.trim().split("\\s+"))
                .shouldFailOnError(true)
                .verbosity(verbose ? VerboseMode.NORMAL : VerboseMode.SILENT);
    }

    private static Collection<RunResult> run(ChainedOptionsBuilder options) throws RunnerException {
        return new Runner(options.build()).run();
    }

    private static List<RunResult> perSecond(Collection<RunResult> results) {
        List<RunResult> list = new ArrayList<>(results);
        for (RunResult result : list) {
            String unit = result.getPrimaryResult().getScoreUnit();
            if (!unit.equals("ops/s")) {
                throw new IllegalStateException("expected ops/s from JMH, got " + unit);
            }
        }
        if (list.isEmpty()) {
            throw new IllegalStateException("JMH ran no benchmark");
        }
        return list;
    }

    private static List<Figure> figures(Collection<RunResult> results) {
        List<Figure> figures = new ArrayList<>();
        for (RunResult result : perSecond(results)) {
            var params = result.getParams();
            String benchmark = params.getBenchmark();
            String op = benchmark.substring(benchmark.lastIndexOf('.') + 1);
            String[] shape = params.getParam("shape").split("\\+");
            double gbPerSecond = result.getPrimaryResult().getScore() * CodecBenchmark.STRIPE_BYTES / BYTES_PER_GB;
            figures.add(new Figure(params.getParam("codec"), Integer.parseInt(shape[0]), Integer.parseInt(shape[1]), op,
                    params.getParam("memory"), gbPerSecond));
        }
        figures.sort((a, b) -> Arrays.compare(
                new int[] {a.memory().equals("direct") ? 0 : 1, a.op().equals("encode") ? 0 : 1, a.k(), a.codec().equals("java") ? 0 : 1},
                new int[] {b.memory().equals("direct") ? 0 : 1, b.op().equals("encode") ? 0 : 1, b.k(), b.codec().equals("java") ? 0 : 1}));
        return figures;
    }

    private static void print(double arraycopy, List<Figure> figures) {
        System.out.printf(Locale.ROOT, "%nreference: System.arraycopy of 1 MiB: %.2f GB/s%n%n", arraycopy);
        System.out.printf(Locale.ROOT, "%-6s %-6s %-8s %-7s %8s %12s%n", "codec", "k+m", "op", "buffers", "GB/s", "/arraycopy");
        for (Figure f : figures) {
            System.out.printf(Locale.ROOT, "%-6s %-6s %-8s %-7s %8.2f %12.2f%n", f.codec(), f.k() + "+" + f.m(), f.op(),
                    f.memory(), f.gbPerSecond(), f.gbPerSecond() / arraycopy);
        }
        System.out.println("\nGB/s = 10^9 bytes of input data (the 1 MiB chunk) per second on one core.");
    }

    private void writeJson(double arraycopy, List<Figure> figures) throws IOException {
        Map<String, Object> document = new LinkedHashMap<>();
        document.put("arraycopy_gb_s", round(arraycopy));
        document.put("results", jsonRows(figures, "direct", arraycopy));
        document.put("heap_results", jsonRows(figures, "heap", arraycopy));
        Path parent = json.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(json.toFile(), document);
    }

    private static List<Map<String, Object>> jsonRows(List<Figure> figures, String memory, double arraycopy) {
        List<Map<String, Object>> rows = new ArrayList<>();
        for (Figure f : figures) {
            if (f.memory().equals(memory)) {
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("codec", f.codec());
                row.put("k", f.k());
                row.put("m", f.m());
                row.put("op", f.op());
                row.put("gb_s", round(f.gbPerSecond()));
                row.put("ratio_to_arraycopy", round(f.gbPerSecond() / arraycopy));
                rows.add(row);
            }
        }
        return rows;
    }

    private static String exact(String text) {
        return Pattern.quote(text);
    }

    private static double round(double value) {
        return Math.round(value * 1000) / 1000.0;
    }
}
