package io.cairn.testkit.sim;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * {@code ./cairn sim}: runs the deterministic cluster simulation for one seed, or for a range
 * of seeds ({@code --seeds N} runs seeds S..S+N-1, several at once), and prints what each run
 * found, in seed order. Exits 1 if any run broke a check, printing the command that replays it.
 */
public final class SimCli {

    private SimCli() {}

    public static void main(String[] args) throws InterruptedException {
        long seed = System.nanoTime();
        int nodes = 5;
        int steps = 400;
        int seeds = 1;
        int faulty = 1;
        int sites = 1;
        int threads = Runtime.getRuntime().availableProcessors();
        boolean verbose = false;
        boolean trace = false;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            try {
                switch (a) {
                    case "--seed" -> seed = Long.parseLong(args[++i]);
                    case "--nodes" -> nodes = Integer.parseInt(args[++i]);
                    case "--steps" -> steps = Integer.parseInt(args[++i]);
                    case "--seeds" -> seeds = Integer.parseInt(args[++i]);
                    case "--faulty" -> faulty = Integer.parseInt(args[++i]);
                    case "--sites" -> sites = Integer.parseInt(args[++i]);
                    case "--threads" -> threads = Integer.parseInt(args[++i]);
                    case "--verbose" -> verbose = true;
                    case "--trace" -> trace = true;
                    case "-h", "--help" -> {
                        usage();
                        return;
                    }
                    default -> throw new IllegalArgumentException("unknown option " + a);
                }
            } catch (ArrayIndexOutOfBoundsException | IllegalArgumentException e) {
                System.err.println("cairn sim: " + (e instanceof ArrayIndexOutOfBoundsException ? a + " needs a value" : e.getMessage()));
                usage();
                System.exit(2);
            }
        }
        if (seeds < 1 || threads < 1) {
            System.err.println("cairn sim: --seeds and --threads must be at least 1");
            System.exit(2);
        }
        List<Simulation.Config> configs = new ArrayList<>();
        try {
            for (int i = 0; i < seeds; i++) {
                configs.add(new Simulation.Config(seed + i, nodes, steps, faulty, sites));
            }
        } catch (IllegalArgumentException e) {
            System.err.println("cairn sim: " + e.getMessage());
            System.exit(2);
            return;
        }
        long started = System.nanoTime();
        int failed = 0;
        if (trace || seeds == 1) {
            Simulation.Outcome o = Simulation.run(configs.getFirst(), trace ? System.out : null);
            failed += report(o, true);
        } else {
            try (ExecutorService pool = Executors.newFixedThreadPool(Math.min(threads, seeds))) {
                // Submitted in windows so that memory holds a bounded number of outcomes.
                int window = 4 * threads;
                for (int from = 0; from < seeds; from += window) {
                    List<Future<Simulation.Outcome>> runs = new ArrayList<>();
                    for (Simulation.Config c : configs.subList(from, Math.min(seeds, from + window))) {
                        runs.add(pool.submit(() -> Simulation.run(c)));
                    }
                    for (Future<Simulation.Outcome> f : runs) {
                        try {
                            failed += report(f.get(), verbose);
                        } catch (ExecutionException e) {
                            throw new IllegalStateException("a simulation run threw", e.getCause());
                        }
                    }
                }
            }
        }
        System.out.printf("%d of %d runs passed in %.1f s%n", seeds - failed, seeds, (System.nanoTime() - started) / 1e9);
        System.exit(failed == 0 ? 0 : 1);
    }

    /** Prints a run's outcome (always when it failed); returns 1 if it failed. */
    private static int report(Simulation.Outcome o, boolean always) {
        if (!o.ok()) {
            System.out.println("FAILED " + o.config().command());
            o.violations().forEach(v -> System.out.println("  " + v));
            o.unhealed().forEach(v -> System.out.println("  " + v));
            System.out.println("  " + o.figures());
            return 1;
        }
        if (always) {
            System.out.println("ok " + o.config().command() + " " + format(o.figures()));
        }
        return 0;
    }

    private static String format(Map<String, Long> figures) {
        StringBuilder b = new StringBuilder();
        figures.forEach((k, v) -> b.append(b.isEmpty() ? "" : " ").append(k).append('=').append(v));
        return b.toString();
    }

    private static void usage() {
        System.err.println("usage: ./cairn sim [--seed S] [--nodes N] [--steps K] [--faulty F] [--sites SITES] [--seeds COUNT] [--threads T]"
                + " [--verbose] [--trace]\n"
                + "  F: most nodes crashed or cut off at once (default 1); SITES: the nodes take that many sites in turn, and a whole\n"
                + "  site may be lost or cut off (default 1); --trace prints every event of note");
    }
}
