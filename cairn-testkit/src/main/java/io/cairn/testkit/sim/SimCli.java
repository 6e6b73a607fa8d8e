package io.cairn.testkit.sim;

import java.util.Map;

/**
 * {@code ./cairn sim}: runs the deterministic cluster simulation for one seed, or for a range
 * of seeds ({@code --seeds N} runs seeds S..S+N-1), and prints what each run found. Exits 1 if
 * any run broke a check, printing the command that replays it.
 */
public final class SimCli {

    private SimCli() {}

    public static void main(String[] args) {
        long seed = System.nanoTime();
        int nodes = 5;
        int steps = 400;
        int seeds = 1;
        int faulty = 1;
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
        int failed = 0;
        long started = System.nanoTime();
        for (int i = 0; i < seeds; i++) {
            Simulation.Outcome o;
            try {
                o = Simulation.run(new Simulation.Config(seed + i, nodes, steps, faulty), trace ? System.out : null);
            } catch (IllegalArgumentException e) {
                System.err.println("cairn sim: " + e.getMessage());
                System.exit(2);
                return;
            }
            if (!o.ok()) {
                failed++;
                System.out.println("FAILED " + o.config().command());
                o.violations().forEach(v -> System.out.println("  " + v));
                o.unhealed().forEach(v -> System.out.println("  " + v));
                System.out.println("  " + o.figures());
            } else if (seeds == 1 || verbose) {
                System.out.println("ok " + o.config().command() + " " + format(o.figures()));
            }
        }
        System.out.printf("%d of %d runs passed in %.1f s%n", seeds - failed, seeds, (System.nanoTime() - started) / 1e9);
        System.exit(failed == 0 ? 0 : 1);
    }

    private static String format(Map<String, Long> figures) {
        StringBuilder b = new StringBuilder();
        figures.forEach((k, v) -> b.append(b.isEmpty() ? "" : " ").append(k).append('=').append(v));
        return b.toString();
    }

    private static void usage() {
        System.err.println("usage: ./cairn sim [--seed S] [--nodes N] [--steps K] [--faulty F] [--seeds COUNT] [--verbose] [--trace]\n"
                + "  F: most nodes crashed or cut off at once (default 1); --trace prints every event of note");
    }
}
