package io.cairn.core.codec;

import static org.assertj.core.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Tests of the ISA-L codec run when {@code libisal.so.2} loads. Where it does not they are
 * skipped with the reason, except on CI (environment variable {@code CI} set), which installs
 * the library and so must fail loudly if it is missing.
 */
final class IsalAvailability {

    private IsalAvailability() {
    }

    static void require() {
        if (ErasureCodecs.isalAvailable()) {
            return;
        }
        String reason = ErasureCodecs.isalUnavailableReason().orElse("unknown");
        String ci = System.getenv("CI");
        if (ci != null && !ci.isBlank()) {
            fail("CI is set but ISA-L is missing, so the ISA-L codec is untested: " + reason
                    + " (install the Debian package libisal2)");
        }
        assumeTrue(false, "skipping ISA-L codec tests: " + reason + " (install the Debian package libisal2)");
    }
}
