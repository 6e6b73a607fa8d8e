package io.cairn.testkit;

import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.LifecycleMethodExecutionExceptionHandler;
import org.junit.jupiter.api.extension.TestExecutionExceptionHandler;

/**
 * A JUnit extension that attaches the diagnosis of every open {@link TestCluster} (which node
 * died, with its exit code and log tail) to a failing test or lifecycle method, so that the
 * failure printed on the console explains itself even though the test's own output goes to a
 * file, and keeps the node logs under {@code target/cluster-logs}.
 */
public final class NodeLogsOnFailure implements TestExecutionExceptionHandler, LifecycleMethodExecutionExceptionHandler {

    @Override
    public void handleTestExecutionException(ExtensionContext context, Throwable failure) throws Throwable {
        throw explained(failure);
    }

    @Override
    public void handleBeforeAllMethodExecutionException(ExtensionContext context, Throwable failure) throws Throwable {
        throw explained(failure);
    }

    @Override
    public void handleBeforeEachMethodExecutionException(ExtensionContext context, Throwable failure) throws Throwable {
        throw explained(failure);
    }

    @Override
    public void handleAfterEachMethodExecutionException(ExtensionContext context, Throwable failure) throws Throwable {
        throw explained(failure);
    }

    private static Throwable explained(Throwable failure) {
        if (hasDiagnosis(failure)) {
            return failure; // TestCluster.start or restart already explained it
        }
        for (TestCluster cluster : TestCluster.openClusters()) {
            cluster.explain(failure);
        }
        return failure;
    }

    private static boolean hasDiagnosis(Throwable failure) {
        for (Throwable s : failure.getSuppressed()) {
            if (s instanceof ClusterDiagnosis) {
                return true;
            }
        }
        return false;
    }
}
