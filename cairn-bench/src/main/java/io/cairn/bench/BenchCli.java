package io.cairn.bench;

import io.cairn.bench.codec.CodecBenchCommand;
import io.cairn.bench.s3.S3LoadCommand;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code ./cairn bench ...}: the benchmarks, each measured against a reference in the same run. */
@Command(name = "cairn bench", mixinStandardHelpOptions = true,
        description = "Runs a benchmark and prints its figures with the ratio to a reference measured in the same run.",
        subcommands = {CommandLine.HelpCommand.class, CodecBenchCommand.class, StoreBenchCommand.class, S3LoadCommand.class, io.cairn.bench.s3.CompareCommand.class,
                io.cairn.bench.recovery.RecoveryBenchCommand.class, io.cairn.bench.recovery.FreezeBenchCommand.class})
public final class BenchCli implements Callable<Integer> {

    public static void main(String[] args) {
        System.exit(new CommandLine(new BenchCli()).execute(args));
    }

    @Override
    public Integer call() {
        CommandLine.usage(this, System.out);
        return 0;
    }
}
