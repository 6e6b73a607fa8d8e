package io.cairn.testkit;

/**
 * The state and log excerpts of a test cluster's nodes, attached to a failing test's exception
 * as a suppressed exception so that the failure explains itself wherever it is printed.
 */
public final class ClusterDiagnosis extends RuntimeException {

    private final boolean troubled;

    /** @param troubled whether a node died without the test killing it, hangs, or logged errors */
    public ClusterDiagnosis(String report, boolean troubled) {
        super(report, null, false, false);
        this.troubled = troubled;
    }

    /** Whether any node died without the test killing it, does not answer, or logged errors. */
    public boolean troubled() {
        return troubled;
    }
}
