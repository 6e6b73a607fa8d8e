package io.cairn.protocol;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The replication protocol is pure: events in, effects out. Its code must not reach the network,
 * files, threads or a clock, so that the simulator runs exactly what the nodes run. This test
 * fails the build when a class of {@code io.cairn.protocol} (or the store interfaces and domain
 * types of {@code io.cairn.core} it builds on) depends on any of them.
 */
class PurityTest {

    static JavaClasses protocol;

    @BeforeAll
    static void importClasses() {
        protocol = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("io.cairn.protocol", "io.cairn.core.store", "io.cairn.core.map", "io.cairn.core.partition",
                        "io.cairn.core.placement");
    }

    @Test
    void noNetworkStoreEngineOrServerLibraries() {
        ArchRule rule = noClasses().should().dependOnClassesThat().resideInAnyPackage(
                "io.grpc..", "com.google.protobuf..", "org.rocksdb..", "org.apache.ratis..", "org.eclipse.jetty..", "io.netty..",
                "io.cairn.node..", "io.cairn.store..", "io.cairn.meta..", "io.cairn.server..", "io.cairn.s3..")
                .because("the protocol runs in the simulator as it runs on the nodes: I/O belongs to its executors");
        rule.check(protocol);
    }

    @Test
    void noFilesSocketsOrChannels() {
        ArchRule rule = noClasses().should().dependOnClassesThat().resideInAnyPackage("java.nio.file..", "java.nio.channels..", "java.net..")
                .orShould().dependOnClassesThat().haveFullyQualifiedName("java.io.File")
                .orShould().dependOnClassesThat().haveFullyQualifiedName("java.io.FileInputStream")
                .orShould().dependOnClassesThat().haveFullyQualifiedName("java.io.FileOutputStream")
                .orShould().dependOnClassesThat().haveFullyQualifiedName("java.io.RandomAccessFile")
                .because("the protocol reads its store through StoreView and writes it through effects");
        rule.check(protocol);
    }

    @Test
    void noThreadsLocksOrClocks() {
        ArchRule rule = noClasses().should().dependOnClassesThat().resideInAnyPackage("java.util.concurrent..")
                .orShould().dependOnClassesThat().haveFullyQualifiedName("java.lang.Thread")
                .orShould().callMethod(System.class, "currentTimeMillis")
                .orShould().callMethod(System.class, "nanoTime")
                .orShould().callMethod(Thread.class, "sleep", long.class)
                .orShould().dependOnClassesThat().resideInAnyPackage("java.time..")
                .orShould().dependOnClassesThat().haveFullyQualifiedName("java.util.Random")
                .orShould().dependOnClassesThat().haveFullyQualifiedName("java.lang.Math$RandomNumberGeneratorHolder")
                .orShould().callMethod(Math.class, "random")
                .because("time comes in with each event, and one event is handled at a time: a run is a function of its inputs");
        rule.check(protocol);
    }
}
